"""Indexes of the plan solves: one solve per caller, route and Idempotency-Key; unfinished solves by state."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T11:13:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "plan solve indexes"

STATEMENTS = (
    "CREATE UNIQUE INDEX plan_solve_one_per_key ON plan_solve (requested_by, idempotency_scope, idempotency_key)"
    " WHERE idempotency_key IS NOT NULL",
    "CREATE INDEX plan_solve_state ON plan_solve (state)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
