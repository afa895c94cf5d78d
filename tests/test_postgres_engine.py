"""PostgreSQL's log flush waited for in groups: one flush serves every caller that asked before it began,
never a caller that asked after it began, and a failure reaches exactly the callers of that flush."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import pytest

from inventory.audit import log as audit
from inventory.audit.tables import AuditHead
from inventory.persistence import current_engine, is_unavailable, run, write_transaction
from inventory.persistence.postgres_engine import FLUSH_SQL, GroupFlush, ServicePostgresEngine
from tests.conftest import in_domain, test_settings

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


class FakeConnection:
    """Flushes that finish only when the test lets them, or fail when told to."""

    def __init__(self) -> None:
        self.started: list[asyncio.Event] = []
        self.finish: list[asyncio.Event] = []
        self.fail_next = False

    async def fetchval(self, sql: str) -> None:
        assert sql == FLUSH_SQL
        started, finish = asyncio.Event(), asyncio.Event()
        self.started.append(started)
        self.finish.append(finish)
        started.set()
        await finish.wait()
        if self.fail_next:
            self.fail_next = False
            raise OSError("connection lost")


@pytest.fixture
def connection() -> FakeConnection:
    return FakeConnection()


@pytest.fixture
def flush(connection: FakeConnection) -> GroupFlush:
    @asynccontextmanager
    async def connect() -> AsyncIterator[FakeConnection]:
        yield connection

    return GroupFlush(connect)  # type: ignore[arg-type]


async def until(condition) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


async def test_callers_during_a_flush_share_the_next_one_and_not_the_running_one(flush, connection):
    first = asyncio.create_task(flush.wait())
    await until(lambda: len(connection.started) == 1)
    later = [asyncio.create_task(flush.wait()) for _ in range(5)]
    await until(lambda: all(not task.done() for task in later))

    connection.finish[0].set()
    await first
    await until(lambda: len(connection.started) == 2)
    assert not any(task.done() for task in later)  # the running flush may predate their commits

    connection.finish[1].set()
    await asyncio.gather(*later)
    assert flush.flushes == 2
    assert len(connection.started) == 2


async def test_a_failed_flush_fails_its_callers_and_the_next_caller_gets_a_new_one(flush, connection):
    connection.fail_next = True
    callers = [asyncio.create_task(flush.wait()) for _ in range(3)]
    await until(lambda: len(connection.started) == 1)
    connection.finish[0].set()
    for caller in callers:
        with pytest.raises(OSError, match="connection lost"):
            await caller

    again = asyncio.create_task(flush.wait())
    await until(lambda: len(connection.started) == 2)
    connection.finish[1].set()
    await again
    assert flush.flushes == 1


async def test_a_cancelled_caller_does_not_cancel_the_flush_of_the_others(flush, connection):
    impatient, patient = asyncio.create_task(flush.wait()), asyncio.create_task(flush.wait())
    await until(lambda: len(connection.started) == 1)
    impatient.cancel()
    await asyncio.sleep(0)
    connection.finish[0].set()
    await patient
    assert impatient.cancelled()
    assert flush.flushes == 1


@pytest.mark.postgres
async def test_concurrent_audited_writes_share_flushes(postgres_database):
    with in_domain(test_settings(postgres_database)):
        group = current_engine().group_flush()

        async def audited_write(n: int) -> None:
            async with write_transaction():
                await audit.append("test.flush", f"thing:{n}", {"n": n}, actor="t", at=T0)

        before, head = group.flushes, await audit_head()
        async with asyncio.timeout(60):
            await asyncio.gather(*(audited_write(n) for n in range(24)))
        assert await audit_head() == head + 24
        assert 1 <= group.flushes - before < 24
        assert (await audit.verify_chain()).valid


async def audit_head() -> int:
    return (await AuditHead.select(AuditHead.seq).where(AuditHead.id == 1).first())["seq"]


@asynccontextmanager
async def service_pool(database_url: str) -> AsyncIterator[ServicePostgresEngine]:
    """The service's engine on ``database_url``, with a pool of one connection while open."""
    with in_domain(test_settings(database_url)):
        engine = current_engine()
        assert isinstance(engine, ServicePostgresEngine)
        await engine.start_connection_pool(min_size=1, max_size=1)
        try:
            yield engine
        finally:
            await engine.close_connection_pool()


@pytest.mark.postgres
async def test_released_connections_skip_the_session_reset_and_keep_no_session_state(postgres_database):
    async with service_pool(postgres_database) as engine:
        async with write_transaction():
            await audit.append("test.pool", "thing:1", {"n": 1}, actor="t", at=T0)
        async with engine.pool.acquire() as connection:
            backend = connection.get_server_pid()
            state = await connection.fetchrow(
                "SELECT current_setting('synchronous_commit') AS commit_mode, "
                "coalesce(current_setting('spareline.audit_mac_inner', true), '') AS mac_pad"
            )
        observer = await asyncpg.connect(postgres_database)
        try:
            last = await observer.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", backend)
        finally:
            await observer.close()
    assert (state["commit_mode"], state["mac_pad"]) == ("on", "")
    assert "RESET ALL" not in last


@pytest.mark.postgres
async def test_service_connections_plan_a_prepared_statement_once(postgres_database):
    """`SERVER_SETTINGS`: generic plans, on the pool's connections and on one-off connections alike."""
    async with service_pool(postgres_database) as engine, engine.pool.acquire() as connection:
        statement = await connection.prepare("SELECT seq FROM audit_head WHERE id = $1")
        for _ in range(8):
            await statement.fetchval(1)
        plans = await connection.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1",
            statement.get_name(),
        )
    one_off = await engine.get_new_connection()
    try:
        mode = await one_off.fetchval("SHOW plan_cache_mode")
    finally:
        await one_off.close()
    assert (plans["generic_plans"], plans["custom_plans"]) == (8, 0)
    assert mode == "force_generic_plan"


@asynccontextmanager
async def timed_pool(database_url: str, **timeouts: float) -> AsyncIterator[ServicePostgresEngine]:
    """The service's engine on ``database_url`` with the given timeout settings and a one-connection pool."""
    with in_domain(test_settings(database_url, **timeouts)):
        engine = current_engine()
        assert isinstance(engine, ServicePostgresEngine)
        await engine.start_connection_pool(min_size=1, max_size=1)
        try:
            yield engine
        finally:
            pool = engine.pool
            try:
                await asyncio.wait_for(engine.close_connection_pool(), 30)
            except TimeoutError:  # a connection never given back
                pool.terminate()
                raise


@pytest.mark.postgres
async def test_a_statement_past_the_statement_timeout_is_cancelled_by_the_server(postgres_database):
    async with (
        timed_pool(postgres_database, pg_statement_timeout_s=0.5) as engine,
        engine.pool.acquire() as connection,
    ):
        setting = await connection.fetchval("SHOW statement_timeout")
        with pytest.raises(asyncpg.QueryCanceledError) as cancelled:
            await asyncio.wait_for(connection.fetchval("SELECT pg_sleep(30)"), 60)
        assert await connection.fetchval("SELECT 1") == 1  # the connection is still usable
    assert setting == "500ms"
    assert is_unavailable(cancelled.value)


@pytest.mark.postgres
async def test_a_transaction_whose_commit_fails_gives_its_connection_back(postgres_database):
    """Piccolo keeps the connection of a transaction whose COMMIT raised; the service's write
    transaction gives it back, or the next one would wait for the pool's only connection in vain."""

    async def refused_at_commit() -> None:
        async with write_transaction():
            await run(
                "CREATE TEMP TABLE deferred_unique (n int UNIQUE DEFERRABLE INITIALLY DEFERRED) "
                "ON COMMIT DROP"
            )
            await run("INSERT INTO deferred_unique VALUES (1), (1)")

    async with timed_pool(postgres_database, pg_acquire_timeout_s=1):
        with pytest.raises(asyncpg.UniqueViolationError):
            await refused_at_commit()
        async with asyncio.timeout(60), write_transaction():
            assert (await run("SELECT 1 AS one"))[0]["one"] == 1
