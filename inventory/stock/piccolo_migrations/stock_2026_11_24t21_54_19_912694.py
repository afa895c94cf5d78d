from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Time
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.time import TimeCustom
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-24T21:54:19:912694"
VERSION = "1.38.0"
DESCRIPTION = "tickets and installed base"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="stock", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Depot",
        tablename="depot",
        column_name="calendar_region",
        db_column_name="calendar_region",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "CN",
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
        table_class_name="Depot",
        tablename="depot",
        column_name="order_cutoff",
        db_column_name="order_cutoff",
        column_class_name="Time",
        column_class=Time,
        params={
            "default": TimeCustom(hour=17, minute=0, second=0),
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
