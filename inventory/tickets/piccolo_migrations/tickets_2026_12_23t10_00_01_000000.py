"""The reservations list by status, newest first (the other filters have their indexes already)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-23T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "reservations by status"

FORWARDS = "CREATE INDEX reservation_status_id ON reservation (status, id)"
BACKWARDS = "DROP INDEX reservation_status_id"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)

    def running(statement: str):
        async def run():
            await engine_finder().run_ddl(statement)

        return run

    manager.add_raw(running(FORWARDS))
    manager.add_raw_backwards(running(BACKWARDS))
    return manager
