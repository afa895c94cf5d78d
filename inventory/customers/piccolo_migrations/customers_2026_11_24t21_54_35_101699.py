"""A site code is unique within its customer."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-24T21:54:35:101699"
VERSION = "1.38.0"
DESCRIPTION = "constraints"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="customers", description=DESCRIPTION)

    async def create_indexes():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX site_code_unique_per_customer ON site (customer, code)")

    manager.add_raw(create_indexes)
    return manager
