"""Look-up indexes for the warehouse's screens: a scanned code is found by serial, box number or batch
number without naming the part (the unique index on ``(part, serial)`` cannot serve a serial alone);
a depot's stock and transfers are read by depot. Plain ``CREATE INDEX`` on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-09T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "warehouse look-up indexes"

INDEXES = {
    "stock_unit_serial": "stock_unit (serial)",
    "stock_unit_box_number": "stock_unit (box_number)",
    "stock_unit_batch_number": "stock_unit (batch_number)",
    "bulk_stock_batch_number": "bulk_stock (batch_number)",
    "stock_level_depot_part": "stock_level (depot, part)",
    "transfer_from_depot_status": "transfer (from_depot, status)",
    "transfer_to_depot_status": "transfer (to_depot, status)",
}
FORWARDS = tuple(f"CREATE INDEX {name} ON {target}" for name, target in INDEXES.items())
BACKWARDS = tuple(f"DROP INDEX {name}" for name in INDEXES)


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
