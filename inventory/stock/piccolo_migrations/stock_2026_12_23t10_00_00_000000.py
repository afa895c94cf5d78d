"""Indexes of the warehouse's lists: every filter of the transfers, receipts, movements, units and bulk
batches lists is a column (or the first columns) of an index, most of them ending in ``id`` so that a
filtered list comes out in its order without a sort. Plain ``CREATE INDEX`` on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-23T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "list indexes"

INDEXES = {
    "stock_unit_depot_id": "stock_unit (depot, id)",
    "stock_unit_status_id": "stock_unit (status, id)",
    "bulk_stock_part_depot": "bulk_stock (part, depot)",
    "transfer_part_id": "transfer (part, id)",
    "receipt_depot_id": "receipt (depot, id)",
    "receipt_supplier_id": "receipt (supplier, id)",
    "receipt_reference": "receipt (reference)",
    "receipt_received_at": "receipt (received_at)",
    "movement_part_id": "movement (part, id)",
    "movement_to_depot_id": "movement (to_depot, id)",
    "movement_from_depot_id": "movement (from_depot, id)",
    "movement_kind_id": "movement (kind, id)",
    "movement_actor_id": "movement (actor, id)",
    "movement_reference_id": "movement (reference, id)",
    "movement_at": "movement (at)",
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
