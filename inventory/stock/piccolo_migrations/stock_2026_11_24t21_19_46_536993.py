"""Composite unique indexes, check constraints and lookup indexes of the stock tables.

PostgreSQL gets real CHECK constraints. SQLite cannot add a CHECK to an existing table, so it gets
BEFORE INSERT/UPDATE triggers that abort on the same condition.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-24T21:19:46:536993"
VERSION = "1.38.0"
DESCRIPTION = "constraints and lookup indexes"

INDEXES = (
    "CREATE UNIQUE INDEX stock_unit_serial_unique_per_part ON stock_unit (part, serial)",
    "CREATE UNIQUE INDEX stock_level_one_row_per_part_depot ON stock_level (part, depot)",
    "CREATE UNIQUE INDEX bulk_stock_one_row_per_batch ON bulk_stock (depot, part, batch_number)",
    "CREATE INDEX stock_unit_part_depot_status ON stock_unit (part, depot, status)",
    "CREATE INDEX stock_unit_depot_status ON stock_unit (depot, status)",
    "CREATE INDEX movement_part ON movement (part)",
    "CREATE INDEX transfer_status ON transfer (status)",
)

# (table, constraint name, condition with {r} standing for the row reference)
CHECKS = (
    (
        "stock_level",
        "never_oversold",
        "{r}on_hand >= 0 AND {r}reserved >= 0 AND {r}reserved <= {r}on_hand AND {r}in_transit >= 0 "
        "AND {r}defective >= 0 AND {r}quarantined >= 0",
    ),
    (
        "bulk_stock",
        "never_negative",
        "{r}available >= 0 AND {r}reserved >= 0 AND {r}in_transit >= 0 AND {r}defective >= 0 "
        "AND {r}quarantined >= 0",
    ),
    ("movement", "positive_quantity", "{r}quantity > 0"),
    ("transfer", "positive_quantity", "{r}quantity > 0"),
)


def check_statements(engine_type: str) -> list[str]:
    statements = []
    for table, name, condition in CHECKS:
        if engine_type == "sqlite":
            for event in ("INSERT", "UPDATE"):
                statements.append(
                    f"CREATE TRIGGER {table}_{name}_{event.lower()} BEFORE {event} ON {table} "
                    f"WHEN NOT ({condition.format(r='NEW.')}) "
                    f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
                )
        else:
            statements.append(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_{name} CHECK ({condition.format(r='')})"
            )
    return statements


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="stock", description=DESCRIPTION)

    async def create_constraints():
        engine = engine_finder()
        for statement in (*INDEXES, *check_statements(engine.engine_type)):
            await engine.run_ddl(statement)

    manager.add_raw(create_constraints)
    return manager
