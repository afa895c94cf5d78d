"""Migrations run forward from an empty database on both engines and match the models exactly."""

from __future__ import annotations

import importlib
import sqlite3

import asyncpg
import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager

from api.database import PICCOLO_APPS, all_tables
from inventory.persistence import numbered_placeholders
from tests.conftest import migrate

CONSTRAINT_INDEXES = {
    "stock_unit_serial_unique_per_part",
    "stock_level_one_row_per_part_depot",
    "bulk_stock_one_row_per_batch",
    "receipt_one_per_delivery_note",
    "idempotency_record_one_answer_per_key",
    "audit_checkpoint_one_per_seq",
    "login_attempt_one_counter_per_subject",
    "plan_stop_key_once_per_plan",
    "plan_solve_one_per_key",
    "fulfilment_one_visit_per_ticket",
    "shipping_notice_one_per_delivery_note",
    "vendor_return_one_per_rma",
    "count_line_serial_once_per_session",
    "write_off_one_pending_per_unit",
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


POSTGRES_SCHEMA = {
    "relations": (
        "SELECT n.nspname, c.relname, c.relkind, c.relpersistence, c.reloptions::text FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind <> 't'"
    ),
    "columns": (
        "SELECT table_name, column_name, ordinal_position, data_type, udt_name, character_maximum_length, "
        "numeric_precision, numeric_scale, datetime_precision, is_nullable, column_default, is_identity, "
        "identity_generation, is_generated, generation_expression, collation_name "
        "FROM information_schema.columns WHERE table_schema = 'public'"
    ),
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "constraints": (
        "SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid), "
        "c.condeferrable, c.condeferred, c.convalidated FROM pg_constraint c "
        "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'"
    ),
    "triggers": (
        "SELECT t.tgrelid::regclass::text, t.tgname, t.tgenabled, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND NOT t.tgisinternal"
    ),
    "functions": (
        "SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid) "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p')"
    ),
    "sequences": (
        "SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle "
        "FROM pg_sequences WHERE schemaname = 'public'"
    ),
    "views": "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'",
    "extensions": "SELECT extname, extversion FROM pg_extension",
    "migrations": "SELECT app_name, name FROM migration",
}
"""What PostgreSQL's catalogue says of the schema: definitions, not object ids, so that a migration
that drops and recreates an object the same way still counts as changing nothing."""


async def database_schema(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every table, column, type, index, constraint, trigger and function in the database, and the
    migrations recorded as applied, each list sorted."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            objects = connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
            migrations = connection.execute("SELECT app_name, name FROM migration").fetchall()
        finally:
            connection.close()
        return {"objects": sorted(objects, key=repr), "migrations": sorted(migrations)}
    connection = await asyncpg.connect(url)
    try:
        return {
            part: sorted((tuple(row) for row in await connection.fetch(query)), key=repr)
            for part, query in POSTGRES_SCHEMA.items()
        }
    finally:
        await connection.close()


async def test_migrating_again_changes_nothing(database_url):
    before = await database_schema(database_url)
    assert before["migrations"], "the database was not migrated to begin with"
    migrate(database_url)
    assert await database_schema(database_url) == before


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


async def test_the_oldest_units_are_read_in_order_from_the_index(app, database_url):
    """The pick of the oldest units walks ``(part, depot, status, id)``: no sort, no scan of the primary
    key from the lowest id (which PostgreSQL otherwise chooses for a level with many units)."""
    from inventory.persistence.store import OLDEST_UNITS_SQL

    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            sql = OLDEST_UNITS_SQL.replace("{}", "?")
            plan = " ".join(
                row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", (1, 1, "available", 1))
            )
        finally:
            connection.close()
        assert "stock_unit_part_depot_status_id" in plan
        assert "TEMP B-TREE" not in plan
        return
    connection = await asyncpg.connect(database_url)
    try:
        # Many units at one level, statistics gathered: the case where a sort or a key scan would show.
        await connection.execute(
            "INSERT INTO part (part_number, description, category, serialized, secure_media) "
            "VALUES ('P-PICK', '', 'c', true, false)"
        )
        await connection.execute(
            "INSERT INTO depot (code, name, kind, latitude, longitude, timezone, calendar_region, "
            "order_cutoff) VALUES ('D-PICK', 'D', 'central', 0, 0, 'UTC', 'CN', '17:00')"
        )
        await connection.execute(
            "INSERT INTO stock_unit (part, depot, serial, box_number, batch_number, status, received_at, "
            "updated_at) SELECT p.id, d.id, 'S' || n, 'B', 'L', CASE WHEN n % 50 = 0 THEN 'available' "
            "ELSE 'reserved' END, now(), now() FROM part p, depot d, generate_series(1, 20000) n "
            "WHERE p.part_number = 'P-PICK' AND d.code = 'D-PICK'"
        )
        await connection.execute("ANALYZE stock_unit")
        sql = numbered_placeholders(OLDEST_UNITS_SQL)
        part = await connection.fetchval("SELECT id FROM part WHERE part_number = 'P-PICK'")
        depot = await connection.fetchval("SELECT id FROM depot WHERE code = 'D-PICK'")
        plan = "\n".join(
            row[0] for row in await connection.fetch(f"EXPLAIN {sql}", part, depot, "available", 1)
        )
    finally:
        await connection.close()
    # An index that ends in id reads them in order (with one part at one depot, any of them is as good).
    assert "Index Scan using stock_unit_" in plan
    assert "Sort" not in plan
