"""The warehouse's inbound and count rules the database keeps under any concurrency (unique indexes, the
same on both engines): a shipping notice per delivery note and a vendor return per RMA number once; a
serial counted once per count session; one pending write-off per unit. Look-up indexes for the lists of
notices, vendor returns and expected returns by depot.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-24T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "inbound and count constraints"

UNIQUE = {
    "shipping_notice_one_per_delivery_note": "shipping_notice (delivery_key)",
    "vendor_return_one_per_rma": "vendor_return (rma_key)",
    "count_line_serial_once_per_session": "count_line (session, part, serial) WHERE serial IS NOT NULL",
    "write_off_one_pending_per_unit": "write_off (unit) WHERE status = 'pending'",
}
INDEXES = {
    "shipping_notice_depot_status": "shipping_notice (depot, status)",
    "vendor_return_depot_status": "vendor_return (depot, status)",
}
FORWARDS = (
    *(f"CREATE UNIQUE INDEX {name} ON {target}" for name, target in UNIQUE.items()),
    *(f"CREATE INDEX {name} ON {target}" for name, target in INDEXES.items()),
)
BACKWARDS = tuple(f"DROP INDEX {name}" for name in (*UNIQUE, *INDEXES))


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="stock", description=DESCRIPTION)

    def running(statements: tuple[str, ...]):
        async def run():
            engine = engine_finder()
            for statement in statements:
                await engine.run_ddl(statement)

        return run

    manager.add_raw(running(FORWARDS))
    manager.add_raw_backwards(running(BACKWARDS))
    return manager
