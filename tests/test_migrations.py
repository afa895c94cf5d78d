"""Migrations run forward from an empty database on both engines and match the models exactly."""

from __future__ import annotations

import importlib
import sqlite3

import asyncpg
import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager

from api.database import PICCOLO_APPS, all_tables
from tests.conftest import migrate

CONSTRAINT_INDEXES = {
    "stock_unit_serial_unique_per_part",
    "stock_level_one_row_per_part_depot",
    "bulk_stock_one_row_per_batch",
    "idempotency_record_one_answer_per_key",
    "route_plan_one_committed_dispatch_per_day",
    "plan_stop_key_once_per_plan",
}


def model_columns() -> dict[str, dict[str, bool]]:
    """``table -> {column: nullable}`` from the Piccolo models."""
    return {
        table._meta.tablename: {
            column._meta.db_column_name: column._meta.null for column in table._meta.columns
        }
        for table in all_tables()
    }


async def database_columns(url: str) -> tuple[dict[str, dict[str, bool]], set[str]]:
    """``table -> {column: nullable}`` and the index names, read from the database itself."""
    tables = model_columns().keys()
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            columns = {
                table: {
                    row[1]: not row[3] and not row[5]
                    for row in connection.execute(f"PRAGMA table_info({table})")
                }
                for table in tables
            }
            indexes = {
                row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
            }
        finally:
            connection.close()
        return columns, indexes
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT table_name, column_name, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
        index_rows = await connection.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
    finally:
        await connection.close()
    columns: dict[str, dict[str, bool]] = {table: {} for table in tables}
    for row in rows:
        if row["table_name"] in columns:
            columns[row["table_name"]][row["column_name"]] = row["is_nullable"] == "YES"
    return columns, {row["indexname"] for row in index_rows}


@pytest.mark.parametrize("module", PICCOLO_APPS)
async def test_models_need_no_new_migration(module):
    app_config = importlib.import_module(module).APP_CONFIG
    statements = await AutoMigrationManager().get_alter_statements(app_config=app_config)
    assert [s for group in statements for s in group.statements] == []


async def test_migrated_schema_matches_the_models(database_url):
    columns, indexes = await database_columns(database_url)
    assert columns == model_columns()
    assert indexes >= CONSTRAINT_INDEXES


def test_migrating_again_changes_nothing(database_url):
    migrate(database_url)
    migrate(database_url)


async def test_check_constraints_hold_on_both_engines(app, database_url):
    """The database itself refuses an oversold level, even if a code path forgot the conditional update."""
    from inventory.stock.tables import Depot, Part, StockLevel

    await Depot.insert(Depot(code="A", name="A", kind="central", latitude=0, longitude=0, timezone="UTC"))
    await Part.insert(Part(part_number="P", category="c"))
    depot, part = (await Depot.select(Depot.id).first())["id"], (await Part.select(Part.id).first())["id"]
    await StockLevel.insert(StockLevel(depot=depot, part=part, on_hand=1, reserved=1))
    for change in ({StockLevel.reserved: 2}, {StockLevel.on_hand: -1}):
        with pytest.raises((sqlite3.IntegrityError, asyncpg.CheckViolationError)):
            await StockLevel.update(change).where(StockLevel.depot == depot)
    with pytest.raises((sqlite3.IntegrityError, asyncpg.UniqueViolationError)):
        await StockLevel.insert(StockLevel(depot=depot, part=part))
