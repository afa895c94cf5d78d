"""SQLite reads outside write transactions: a few reader connections kept open, which see every commit
made before each read and follow a replaced file."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from piccolo.querystring import QueryString

from inventory import persistence
from inventory.persistence.sqlite_readers import READERS, reads_only
from inventory.persistence.sqlite_writer import WriterSQLiteEngine


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "readers.sqlite3"


def make_engine(database: Path) -> WriterSQLiteEngine:
    engine = persistence.create_engine(f"sqlite:///{database}", busy_timeout_s=5.0)
    assert isinstance(engine, WriterSQLiteEngine)
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE item (n INTEGER PRIMARY KEY)")
    return engine


async def insert(engine: WriterSQLiteEngine, n: int) -> None:
    async with engine.write_transaction() as unit:
        await unit.fetch("INSERT INTO item (n) VALUES (?)", (n,))


async def items(engine: WriterSQLiteEngine) -> set[int]:
    return {row["n"] for row in await engine.run_querystring(QueryString("SELECT n FROM item"))}


def test_only_statements_that_begin_with_select_count_as_reads() -> None:
    assert reads_only("SELECT 1")
    assert reads_only("\n  select n FROM item")
    assert not reads_only("INSERT INTO item (n) VALUES (1)")
    assert not reads_only("PRAGMA synchronous")
    assert not reads_only("WITH gone AS (DELETE FROM item RETURNING n) SELECT * FROM gone")


async def test_reads_share_a_few_threads_and_connections_kept_open(database: Path) -> None:
    engine = make_engine(database)
    before = set(threading.enumerate())

    answers = await asyncio.gather(
        *(engine.run_querystring(QueryString("SELECT {} AS n", n)) for n in range(50))
    )

    assert answers == [[{"n": n}] for n in range(50)]
    kept = set(threading.enumerate()) - before
    assert kept
    assert len(kept) <= READERS
    assert all(thread.name.startswith("sqlite-read") for thread in kept)
    engine.close_readers()
    assert not any(thread.is_alive() for thread in kept)


async def test_every_read_sees_what_was_committed_before_it(database: Path) -> None:
    engine = make_engine(database)
    assert await items(engine) == set()
    for n in range(1, 4):
        await insert(engine, n)
        assert await items(engine) == set(range(1, n + 1))
    engine.close_writer()
    engine.close_readers()


async def test_statements_that_do_not_only_read_still_run_outside_write_transactions(database: Path) -> None:
    engine = make_engine(database)
    await engine.run_querystring(QueryString("CREATE TABLE other (n INTEGER)"))
    await engine.run_querystring(QueryString("INSERT INTO other (n) VALUES ({})", 7))

    assert await engine.run_querystring(QueryString("SELECT n FROM other")) == [{"n": 7}]
    engine.close_readers()


async def test_readers_follow_a_replaced_file(database: Path) -> None:
    engine = make_engine(database)
    await insert(engine, 1)
    assert await items(engine) == {1}
    for leftover in database.parent.glob(f"{database.name}*"):
        leftover.unlink()

    with pytest.raises(sqlite3.OperationalError) as gone:
        await items(engine)
    assert persistence.is_unavailable(gone.value)

    replacement = make_engine(database)  # a new file, with the table, at the same path
    await insert(replacement, 5)
    assert await items(engine) == {5}
    engine.close_writer()
    replacement.close_writer()
    engine.close_readers()
    replacement.close_readers()


async def test_reads_open_their_connections_again_after_closing(database: Path) -> None:
    engine = make_engine(database)
    await insert(engine, 1)
    assert await items(engine) == {1}
    engine.close_readers()

    assert await items(engine) == {1}
    engine.close_writer()
    engine.close_readers()
