"""The SLA queue reads open tickets in the order of their next deadline from an index.

``ticket.next_due_at`` is already stored, in the transaction that changes the clocks, so the queue needs
no new column; it needs an index in its order. The order is ``next_due_at IS NULL, next_due_at, id``
(overdue and soonest first, tickets whose clocks are all paused or met last) on both engines, which a plain
index on ``next_due_at`` cannot give (SQLite puts NULLs first in an ascending index). So:

* ``ticket_sla_queue``: that order over open tickets only (a partial index: closed tickets, the bulk of
  the table over the years, are not in it), walked for the queue and its tier and severity filters;
* ``ticket_sla_queue_customer`` and ``ticket_sla_queue_site``: the same after an equality on the
  customer or the site, so that a customer's or a site's queue is a range of the index, not a walk of
  every open ticket;
* ``reservation_depot_status_ticket``: the tickets with parts held at (or issued from) a depot, for the
  depot filter, read from the index alone.

The API's list (``GET /api/v1/tickets?status=open``, due order) has the same order and condition and
walks the same index.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-10T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "SLA queue indexes"

ORDER = "(next_due_at IS NULL), next_due_at, id"
STATEMENTS = (
    f"CREATE INDEX ticket_sla_queue ON ticket ({ORDER}) WHERE status = 'open'",
    f"CREATE INDEX ticket_sla_queue_customer ON ticket (customer, {ORDER}) WHERE status = 'open'",
    f"CREATE INDEX ticket_sla_queue_site ON ticket (site, {ORDER}) WHERE status = 'open'",
    "CREATE INDEX reservation_depot_status_ticket ON reservation (depot, status, ticket)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
