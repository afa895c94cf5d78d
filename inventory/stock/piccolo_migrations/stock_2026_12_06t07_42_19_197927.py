from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T07:42:19:197927"
VERSION = "1.38.0"
DESCRIPTION = "transfers received in parts"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="stock", description=DESCRIPTION)

    manager.add_column(
        table_class_name="TransferItem",
        tablename="transfer_item",
        column_name="received_quantity",
        db_column_name="received_quantity",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    manager.alter_column(
        table_class_name="Transfer",
        tablename="transfer",
        column_name="status",
        db_column_name="status",
        params={"length": 24},
        old_params={"length": 16},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
