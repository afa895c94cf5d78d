"""A customer's tickets and an asset's tickets are found by index: a customer's open tickets in due order
(the customer portal's list), and every ticket of an asset (its downtime, which extends its warranty)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T15:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes of a customer's and an asset's tickets"

STATEMENTS = (
    "CREATE INDEX ticket_customer_status_due ON ticket (customer, status, next_due_at)",
    "CREATE INDEX ticket_asset ON ticket (asset)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
