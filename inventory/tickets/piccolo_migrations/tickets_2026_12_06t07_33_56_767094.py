"""A ticket's ``next_due_at`` is the earliest due time of the milestones still counting: running, or
breached and not yet met (`inventory.tickets.sla.next_due`). It used to leave out breached milestones,
so a sweep moved it; tickets written since keep the new meaning, and this brings every other one to it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T07:33:56:767094"
VERSION = "1.38.0"
DESCRIPTION = "next_due_at counts overdue milestones"

STATEMENTS = (
    "UPDATE ticket SET next_due_at = (SELECT MIN(m.due_at) FROM ticket_milestone m "
    "WHERE m.ticket = ticket.id AND m.state IN ('running', 'breached') AND m.met_at IS NULL)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)

    async def recompute():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(recompute)
    return manager
