"""An index for where a unit was fitted (`installed_part` by unit): a unit's life and a batch recall ask
it of each issued unit, which without it reads every part ever fitted. Plain ``CREATE INDEX`` on both
engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-31T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "parts fitted, by unit"

FORWARDS = ("CREATE INDEX installed_part_unit_id ON installed_part (unit, id)",)
BACKWARDS = ("DROP INDEX installed_part_unit_id",)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)

    def running(statements: tuple[str, ...]):
        async def run():
            engine = engine_finder()
            for statement in statements:
                await engine.run_ddl(statement)

        return run

    manager.add_raw(running(FORWARDS))
    manager.add_raw_backwards(running(BACKWARDS))
    return manager
