"""Expected returns are listed by depot and state: an index on ``defective_return (depot, status)``."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-24T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "expected returns by depot"

INDEX = "defective_return_depot_status"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl(f"CREATE INDEX {INDEX} ON defective_return (depot, status)")

    async def drop():
        await engine_finder().run_ddl(f"DROP INDEX {INDEX}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
