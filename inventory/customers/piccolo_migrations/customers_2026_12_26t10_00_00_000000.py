from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-26T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Contacts of the account manager and the second-line engineer"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="customers", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Customer",
        tablename="customer",
        column_name="account_manager_contact",
        db_column_name="account_manager_contact",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Customer",
        tablename="customer",
        column_name="second_line_contact",
        db_column_name="second_line_contact",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
