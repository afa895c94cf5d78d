"""What `inventory.persistence.piccolo_bridge` relies on in Piccolo, checked against the installed version:
its engines run every query through ``run_querystring`` and every DDL statement through ``run_ddl``, and
a Piccolo query inside the service's write transaction is part of that transaction."""

from __future__ import annotations

import inspect
import sqlite3
from datetime import UTC, datetime

import asyncpg
import piccolo
import pytest
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from inventory.persistence import current_engine, run, write_transaction
from inventory.stock.tables import Depot

RELIED_ON = (
    f"the installed Piccolo ({piccolo.__VERSION__}) no longer runs queries as "
    "inventory/persistence/piccolo_bridge.py relies on: see its docstring"
)
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("engine", [SQLiteEngine, PostgresEngine])
def test_piccolo_engines_still_take_queries_through_run_querystring_and_run_ddl(engine):
    for name, parameters in (
        ("run_querystring", ["self", "querystring", "in_pool"]),
        ("run_ddl", ["self", "ddl", "in_pool"]),
    ):
        method = getattr(engine, name, None)
        assert method is not None, f"{engine.__name__}.{name} is gone: {RELIED_ON}"
        assert list(inspect.signature(method).parameters) == parameters, (
            f"{engine.__name__}.{name}: {RELIED_ON}"
        )
    assert "engine_type" in inspect.signature(QueryString.compile_string).parameters, RELIED_ON


async def depots_seen_elsewhere(database_url: str) -> list[str]:
    """The depot codes that another connection sees: committed rows only."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            return [code for (code,) in connection.execute("SELECT code FROM depot")]
        finally:
            connection.close()
    connection = await asyncpg.connect(database_url)
    try:
        return [row["code"] for row in await connection.fetch("SELECT code FROM depot")]
    finally:
        await connection.close()


def depot(code: str) -> Depot:
    return Depot(code=code, name=code, kind="central", latitude=0, longitude=0, timezone="UTC", created_at=T0)


async def test_piccolo_queries_in_a_write_transaction_are_part_of_it(app, database_url):
    class Undone(Exception):
        pass

    seen: dict[str, object] = {}

    async def undone() -> None:
        async with write_transaction():
            await Depot.insert(depot("A"))
            await Depot.update({Depot.name: "changed"}).where(Depot.code == "A")
            seen["inside"] = await run("SELECT name FROM depot WHERE code = {}", "A")
            seen["selected"] = await Depot.select(Depot.name).where(Depot.code == "A")
            seen["raw"] = await Depot.raw("SELECT count(*) AS n FROM depot")
            seen["elsewhere"] = await depots_seen_elsewhere(database_url)
            raise Undone

    with pytest.raises(Undone):
        await undone()

    assert [row["name"] for row in seen["inside"]] == ["changed"], RELIED_ON  # type: ignore[attr-defined]
    assert seen["selected"] == [{"name": "changed"}], RELIED_ON
    assert seen["raw"] == [{"n": 1}], RELIED_ON
    assert seen["elsewhere"] == [], RELIED_ON
    assert await Depot.count() == 0, RELIED_ON


async def test_piccolo_queries_outside_write_transactions_run_on_their_own(app, database_url):
    await Depot.insert(depot("B"))

    assert current_engine().open_transaction() is None
    assert await depots_seen_elsewhere(database_url) == ["B"]


async def test_queries_are_reported_as_piccolo_reports_its_own(app, monkeypatch):
    """Piccolo's documented ``log_queries`` option: every query is handed to the engine's ``print_query``,
    inside the service's write transactions as outside them."""
    engine = current_engine()
    seen: list[str] = []
    monkeypatch.setattr(engine, "log_queries", True)
    monkeypatch.setattr(type(engine), "print_query", lambda _engine, query_id, query: seen.append(query))

    async with write_transaction():
        await Depot.select(Depot.code)
    await Depot.select(Depot.name)

    assert len(seen) == 2, RELIED_ON
    assert '"depot"."code"' in seen[0]
    assert '"depot"."name"' in seen[1]
