"""Units are picked lowest id first (``... WHERE part AND depot AND status ORDER BY id LIMIT n``): the
lookup index gains ``id`` as its last column, so that the pick reads the first matching index entries in
order. Without it PostgreSQL's planner, for a level with many units, walks the primary key from the
lowest id and filters, which grows slower as the oldest units leave. SQLite already appends the rowid to
every index entry; it gets the same index, so that both engines share one schema.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-25T03:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ordered unit pick index"

FORWARDS = (
    "CREATE INDEX stock_unit_part_depot_status_id ON stock_unit (part, depot, status, id)",
    "DROP INDEX stock_unit_part_depot_status",
)
BACKWARDS = (
    "CREATE INDEX stock_unit_part_depot_status ON stock_unit (part, depot, status)",
    "DROP INDEX stock_unit_part_depot_status_id",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="stock", description=DESCRIPTION)

    def running(statements: tuple[str, ...]):
        async def run():
            engine = engine_finder()
            for statement in statements:
                await engine.run_ddl(statement)

        return run

    manager.add_raw(running(FORWARDS))
    manager.add_raw_backwards(running(BACKWARDS))
    return manager
