"""Unique and partial indexes of the tickets tables."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-24T22:05:02:414010"
VERSION = "1.38.0"
DESCRIPTION = "constraints"

STATEMENTS = (
    "CREATE UNIQUE INDEX ticket_milestone_one_clock_each ON ticket_milestone (ticket, milestone)",
    "CREATE INDEX ticket_milestone_running_due ON ticket_milestone (state, due_at)",
    "CREATE UNIQUE INDEX reservation_item_one_active_hold_per_unit ON reservation_item (unit) WHERE active",
    "CREATE INDEX reservation_status_expiry ON reservation (status, expires_at)",
    "CREATE INDEX reservation_part_depot_status ON reservation (part, depot, status)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
