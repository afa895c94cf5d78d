"""Indexes of the kept plans: at most one committed dispatch plan per date, stops by plan and ticket."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-24T23:38:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "plan constraints"

STATEMENTS = (
    "CREATE UNIQUE INDEX route_plan_one_committed_dispatch_per_day ON route_plan (plan_date)"
    " WHERE kind = 'dispatch' AND status = 'committed'",
    "CREATE INDEX route_plan_kind_day_status ON route_plan (kind, plan_date, status)",
    "CREATE UNIQUE INDEX plan_stop_key_once_per_plan ON plan_stop (plan, stop_key)",
    "CREATE INDEX inspection_status_due ON inspection (status, due_on)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
