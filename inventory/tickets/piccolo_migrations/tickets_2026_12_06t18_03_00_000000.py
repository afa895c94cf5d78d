"""Indexes of the fulfilment ways and the dispatcher's attention list (raw SQL runs before a migration's
tables are made, so they follow the tables' migration).

* ``fulfilment_one_visit_per_ticket``: one committed engineer visit per ticket;
* ``dispatch_attention_open``: the open items of the dispatcher's list, oldest first.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T18:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes of fulfilment and dispatch attention"

STATEMENTS = (
    "CREATE UNIQUE INDEX fulfilment_one_visit_per_ticket ON fulfilment (ticket) WHERE way = 'visit'",
    "CREATE INDEX dispatch_attention_open ON dispatch_attention (raised_at, id) WHERE resolved_at IS NULL",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
