"""Transfers land in parts: each transfer line counts what has landed (``received_quantity``, added by the
migration before this one). Lines of transfers received before landed whole. The count stays between 0
and the line's quantity: a CHECK constraint on PostgreSQL, abort triggers on SQLite (as in the migration
"constraints and lookup indexes").
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T07:42:21:512099"
VERSION = "1.38.0"
DESCRIPTION = "received quantities of earlier transfers and their bounds"

BACKFILL = (
    "UPDATE transfer_item SET received_quantity = quantity "
    "WHERE transfer IN (SELECT id FROM transfer WHERE status = 'received')"
)
NAME = "received_within_quantity"
CONDITION = "{r}received_quantity >= 0 AND {r}received_quantity <= {r}quantity"


def bound_statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [
            f"CREATE TRIGGER transfer_item_{NAME}_{event.lower()} BEFORE {event} ON transfer_item "
            f"WHEN NOT ({CONDITION.format(r='NEW.')}) "
            f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {NAME}'); END"
            for event in ("INSERT", "UPDATE")
        ]
    return [f"ALTER TABLE transfer_item ADD CONSTRAINT transfer_item_{NAME} CHECK ({CONDITION.format(r='')})"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="stock", description=DESCRIPTION)

    async def count_received():
        engine = engine_finder()
        for statement in (BACKFILL, *bound_statements(engine.engine_type)):
            await engine.run_ddl(statement)

    manager.add_raw(count_received)
    return manager
