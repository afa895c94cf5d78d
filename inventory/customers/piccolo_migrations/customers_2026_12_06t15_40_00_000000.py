"""A customer's assets are found by index, in serial order (the customer portal's list)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T15:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index of a customer's assets"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="customers", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl("CREATE INDEX asset_customer_serial ON asset (customer, serial)")

    manager.add_raw(create_index)
    return manager
