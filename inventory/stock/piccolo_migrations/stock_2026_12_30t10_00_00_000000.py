"""An index for the units of a part in one state, wherever they are (`GET /api/v1/stock/units?part_number=
&status=`): without it SQLite walks the ``(status, id)`` index through every unit in that state to find a
rare part's. Plain ``CREATE INDEX`` on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-30T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "units of a part in one state"

FORWARDS = ("CREATE INDEX stock_unit_part_status_id ON stock_unit (part, status, id)",)
BACKWARDS = ("DROP INDEX stock_unit_part_status_id",)


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
