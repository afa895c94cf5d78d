"""Unique indexes of the planning tables: one policy and one forecast per depot and part, a suggestion
accepted once; and the look-up of a depot's accepted purchases. Plain ``CREATE INDEX`` on both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-25T20:51:11:000000"
VERSION = "1.38.0"
DESCRIPTION = "planning unique indexes"

INDEXES = {
    "stock_policy_depot_part_unique": "UNIQUE INDEX stock_policy_depot_part_unique ON stock_policy (depot, part)",
    "demand_forecast_depot_part_unique": (
        "UNIQUE INDEX demand_forecast_depot_part_unique ON demand_forecast (depot, part)"
    ),
    "accepted_suggestion_unique": "UNIQUE INDEX accepted_suggestion_unique ON accepted_suggestion (suggestion)",
    "accepted_suggestion_depot_part": (
        "INDEX accepted_suggestion_depot_part ON accepted_suggestion (depot, part, kind)"
    ),
}
FORWARDS = tuple(f"CREATE {definition}" for definition in INDEXES.values())
BACKWARDS = tuple(f"DROP INDEX {name}" for name in INDEXES)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="planning", description=DESCRIPTION)

    def running(statements: tuple[str, ...]):
        async def run():
            engine = engine_finder()
            for statement in statements:
                await engine.run_ddl(statement)

        return run

    manager.add_raw(running(FORWARDS))
    manager.add_raw_backwards(running(BACKWARDS))
    return manager
