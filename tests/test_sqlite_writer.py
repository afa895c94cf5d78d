"""SQLite units of work: grouped under one COMMIT, each atomic, durable when answered, and never
blocking the event loop while another process writes."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from piccolo.querystring import QueryString

from inventory import persistence
from inventory.persistence.sqlite_writer import MAX_GROUP, WriterSQLiteEngine


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "writer.sqlite3"


def make_engine(database: Path, busy_timeout_s: float = 5.0) -> WriterSQLiteEngine:
    engine = persistence.create_engine(f"sqlite:///{database}", busy_timeout_s=busy_timeout_s)
    assert isinstance(engine, WriterSQLiteEngine)
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE item (n INTEGER PRIMARY KEY)")
    return engine


def committed(database: Path) -> set[int]:
    """What another connection sees: committed rows only."""
    with sqlite3.connect(database) as connection:
        return {n for (n,) in connection.execute("SELECT n FROM item")}


async def insert(engine: WriterSQLiteEngine, n: int, *, then_fail: bool = False) -> set[int]:
    """One unit of work; returns what another connection sees as soon as the unit is answered."""
    async with engine.write_transaction() as unit:
        await unit.fetch("INSERT INTO item (n) VALUES (?)", (n,))
        if then_fail:
            raise ValueError(f"unit {n} fails after writing")
    return committed(Path(engine.path))


async def test_queued_units_share_commits_and_each_is_on_disk_when_answered(database: Path) -> None:
    engine = make_engine(database)
    statements: list[str] = []
    engine.writer().connection.set_trace_callback(statements.append)

    seen = await asyncio.gather(*(insert(engine, n) for n in range(40)))

    assert all(n in seen[n] for n in range(40))
    assert committed(database) == set(range(40))
    commits = statements.count("COMMIT")
    assert 40 / MAX_GROUP <= commits < 40
    engine.close_writer()


async def test_a_failing_unit_rolls_back_alone(database: Path) -> None:
    engine = make_engine(database)

    results = await asyncio.gather(
        insert(engine, 1), insert(engine, 2, then_fail=True), insert(engine, 3), return_exceptions=True
    )

    assert isinstance(results[1], ValueError)
    assert committed(database) == {1, 3}
    engine.close_writer()


async def test_a_constraint_violation_rolls_back_only_its_own_unit(database: Path) -> None:
    engine = make_engine(database)

    async def twice(n: int) -> None:
        async with engine.write_transaction() as unit:
            await unit.fetch("INSERT INTO item (n) VALUES (?)", (n + 100,))
            await unit.fetch("INSERT INTO item (n) VALUES (?)", (n,))

    results = await asyncio.gather(insert(engine, 1), twice(1), insert(engine, 2), return_exceptions=True)

    assert isinstance(results[1], sqlite3.IntegrityError)
    assert committed(database) == {1, 2}
    engine.close_writer()


async def test_waits_for_another_process_without_blocking_the_loop(database: Path) -> None:
    engine = make_engine(database)
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, other.execute, "COMMIT")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        seen = await insert(engine, 7)
    finally:
        ticking.cancel()
        other.close()

    assert 7 in seen
    assert ticks >= 10  # the loop went on for the 0.2 s the other writer held the lock
    engine.close_writer()


async def test_gives_up_after_the_busy_timeout_and_lets_the_next_unit_in(database: Path) -> None:
    engine = make_engine(database, busy_timeout_s=0.05)
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await insert(engine, 1)
    finally:
        other.execute("COMMIT")
        other.close()

    assert 2 in await insert(engine, 2)
    engine.close_writer()


async def test_a_nested_write_joins_the_unit_and_rolls_back_with_it(database: Path) -> None:
    engine = make_engine(database)

    async def outer_fails() -> None:
        async with persistence.write_transaction():
            await persistence.run("INSERT INTO item (n) VALUES ({})", 1)
            async with persistence.write_transaction():
                await persistence.run("INSERT INTO item (n) VALUES ({})", 2)
            raise ValueError("outer block fails")

    with persistence.using_store(persistence.store_for(engine)):
        with pytest.raises(ValueError, match="outer"):
            await outer_fails()
        async with persistence.write_transaction():
            await persistence.run("INSERT INTO item (n) VALUES ({})", 3)

    assert committed(database) == {3}
    engine.close_writer()


async def test_a_write_inside_a_transaction_of_piccolo_is_refused(database: Path) -> None:
    """Such a transaction has a connection of its own, which would wait for the writer's lock."""
    engine = make_engine(database)
    async with engine.transaction():
        with pytest.raises(RuntimeError, match="write_transaction"):
            engine.write_transaction()
    assert committed(database) == set()


async def test_the_service_syncs_every_commit_on_each_of_its_connections(database: Path) -> None:
    """``synchronous = FULL`` (2) in WAL mode, set by the service: on the writer connection and on the
    connections Piccolo opens for reads."""
    engine = make_engine(database)
    writer = engine.writer().connection
    read = await engine.run_querystring(QueryString("PRAGMA synchronous"))

    assert writer.execute("PRAGMA synchronous").fetchone() == {"synchronous": 2}
    assert writer.execute("PRAGMA journal_mode").fetchone() == {"journal_mode": "wal"}
    assert read == [{"synchronous": 2}]
    engine.close_writer()


async def test_a_missing_database_file_is_an_error_and_is_never_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite3"
    engine = persistence.create_engine(f"sqlite:///{path}", busy_timeout_s=1, create_missing=False)

    with pytest.raises(sqlite3.OperationalError) as write:
        await insert(engine, 1)
    with pytest.raises(sqlite3.OperationalError) as read:
        await engine.run_querystring(QueryString("SELECT 1"))

    assert persistence.is_unavailable(write.value)
    assert persistence.is_unavailable(read.value)
    assert not path.exists()


async def test_the_writer_stops_writing_to_a_deleted_file_and_opens_its_replacement(database: Path) -> None:
    """A connection keeps a deleted file open; writes to it would be answered and then lost."""
    engine = make_engine(database)
    await insert(engine, 1)
    for leftover in database.parent.glob(f"{database.name}*"):
        leftover.unlink()

    with pytest.raises(sqlite3.OperationalError) as gone:
        await insert(engine, 2)
    assert persistence.is_unavailable(gone.value)

    replacement = make_engine(database)  # a new file, with the table, at the same path
    assert await insert(engine, 3) == {3}
    assert committed(database) == {3}
    engine.close_writer()
    replacement.close_writer()


async def test_a_unit_that_read_an_earlier_unit_of_its_group_is_answered_once_that_is_on_disk(
    database: Path,
) -> None:
    """As a retry replaying the stored answer of a request in the same group: it reads rows that are not
    committed yet, and is answered only once another connection sees them (WAL publishes a commit to
    other connections only after syncing it)."""
    engine = make_engine(database)

    async def first() -> None:
        async with engine.write_transaction() as unit:
            await unit.fetch("INSERT INTO item (n) VALUES (1)", ())
            await asyncio.sleep(0)  # the second unit queues and joins this group

    async def second() -> tuple[set[int], set[int]]:
        async with engine.write_transaction() as unit:
            read = {row["n"] for row in await unit.fetch("SELECT n FROM item", ())}
        return read, committed(database)

    _, (read, seen_when_answered) = await asyncio.gather(first(), second())

    assert read == seen_when_answered == {1}
    engine.close_writer()
