"""The service's PostgreSQL engine: Piccolo's, configured through its documented arguments (asyncpg's
connection and pool arguments), with write transactions of its own and waits for the log flush shared by
many committed transactions at once.

**Write transactions** (`PostgresWriteTransaction`) take a connection of the pool within the acquire
timeout, and run ``BEGIN`` and ``COMMIT`` or ``ROLLBACK`` with asyncpg's transaction API. Whatever fails
on the way, the connection goes back to the pool: closed first if its transaction could not be ended
cleanly (the server then rolls back whatever was open), so that a failed ``BEGIN`` or ``COMMIT`` never
keeps it out of the pool. Piccolo queries inside one run on its connection
(`inventory.persistence.piccolo_bridge`), as do the store's statements.

**Releasing connections.** asyncpg's pool resets every connection it gets back (``RESET ALL``, ``CLOSE
ALL``, ``UNLISTEN *``, advisory locks released), one more round trip per transaction. The service keeps
no session state to reset: the settings it changes are transaction-local (``set_config(..., true)``,
``SET CONSTRAINTS``), so are its advisory locks (``pg_advisory_xact_lock``), it listens to nothing and
opens no cursors outside a transaction. So its pool skips that query (`keep_session`); asyncpg itself
still rolls back a transaction left open on a released connection.

**Generic plans.** The service sends every statement prepared (asyncpg), with its values as parameters.
PostgreSQL's default plan cache mode plans such a statement afresh for each execution whenever the
plans made for its values look cheaper than the generic one, and on the reservation path that kept
happening: `perf` put 10-20 % of the backends' CPU during the reservation benchmark in the planner,
called from the plan cache. The service's statements find their rows by key, so one generic plan per
connection serves every value; every connection of the service sets
``plan_cache_mode = force_generic_plan`` (`SERVER_SETTINGS`).

**Waiting for the flush.** A write transaction that committed with ``synchronous_commit = off`` (set by
the audit append: `PostgresWriteTransaction.release_locks_at_commit`), so that it released its row locks
before its log record reached the disk, must still not answer before its change is durable. Committing
`FLUSH_SQL`, a transaction that writes a log record, waits until the log is on disk up to that record;
the log is written in order, so that covers every commit before it. One flush started after a
transaction's COMMIT returned therefore makes that transaction durable, and one flush serves every
transaction that committed before it started. `GroupFlush` runs such flushes one at a time per
event loop, on a connection of the pool: a transaction that committed while a flush was running waits
for the next one, which starts as soon as the running one ends. The committed transactions give their
connections back at once instead of holding them for a flush round trip each.

**Timeouts** (`PostgresTimeouts`). A server that is down, unreachable or not answering must cost a
request a bounded wait, never a hang: connecting is bounded by asyncpg's ``timeout``; each statement by
the server's ``statement_timeout`` and, a little later, by asyncpg's ``command_timeout`` (for a server
that does not answer at all; asyncpg then cancels the statement or drops the connection); waiting for a
connection of the pool by the timeout of ``Pool.acquire``, for write transactions and for Piccolo's
queries outside them alike (`ServicePostgresEngine.connection`), which covers opening a new connection
too. Failures to connect are raised as `inventory.persistence.errors.DatabaseUnavailable`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from weakref import WeakKeyDictionary

import asyncpg
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from inventory.persistence.errors import DatabaseUnavailable
from inventory.persistence.piccolo_bridge import RunsQueriesInOpenTransaction

FLUSH_SQL = "SELECT pg_logical_emit_message(true, 'spareline.flush', '')"
"""A transactional log message: the smallest write whose commit waits for the log flush (a transaction
that only takes a transaction id writes nothing before its commit record and does not wait)."""

SERVER_SETTINGS = MappingProxyType({"plan_cache_mode": "force_generic_plan"})
"""Session settings of every connection of the service (see "Generic plans" above)."""

Connect = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]

COMMAND_TIMEOUT_GRACE_S = 1.0
"""How much longer than ``statement_timeout`` asyncpg waits for an answer: the server normally cancels
the statement first, which keeps the connection usable."""


@dataclass(frozen=True)
class PostgresTimeouts:
    """Bounds on waiting for the server, in seconds; None leaves asyncpg's default (60 s to connect, no
    limit on statements or on waiting for a connection of the pool)."""

    connect_s: float | None = None
    statement_s: float | None = None
    acquire_s: float | None = None

    def connect_config(self) -> dict[str, Any]:
        """``asyncpg.connect`` arguments (also those of the pool's connections)."""
        config: dict[str, Any] = {}
        if self.connect_s is not None:
            config["timeout"] = self.connect_s
        if self.statement_s is not None:
            config["command_timeout"] = self.statement_s + COMMAND_TIMEOUT_GRACE_S
        return config

    def server_settings(self) -> dict[str, str]:
        """Session settings that bound statements on the server."""
        if self.statement_s is None:
            return {}
        return {"statement_timeout": f"{round(self.statement_s * 1000)}ms"}


async def connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    """``asyncpg.connect``, raising `DatabaseUnavailable` when the server cannot be reached in time.

    Raises:
        DatabaseUnavailable: refused, unreachable, unknown host or timed out.
        asyncpg.PostgresError: the server answered with an error (no such database, too many clients).
    """
    try:
        return await asyncpg.connect(*args, **kwargs)
    except (OSError, TimeoutError) as exc:
        raise DatabaseUnavailable(f"cannot connect to PostgreSQL: {exc!r}") from exc


class GroupFlush:
    """Flushes of PostgreSQL's log, one at a time, each for every caller that asked before it started."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect
        self._next: asyncio.Future[None] | None = None
        self._flushing: asyncio.Task[None] | None = None
        self.flushes = 0
        """Flushes run so far (each shared by every caller that waited for it)."""

    async def wait(self) -> None:
        """Return once the log is on disk past every commit that returned before this call.

        Raises:
            asyncpg.PostgresError, OSError: the flush failed; whether the commit is durable is unknown.
        """
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            # A failed flush whose waiters were all cancelled must not be reported as never retrieved.
            self._next.add_done_callback(lambda done: done.cancelled() or done.exception())
        flush = self._next
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush_while_asked())
        # Shielded: one caller cancelled does not cancel the flush the others wait for.
        await asyncio.shield(flush)

    async def _flush_while_asked(self) -> None:
        try:
            while self._next is not None:
                flush, self._next = self._next, None  # later callers wait for the next flush
                try:
                    async with self._connect() as connection:
                        await connection.fetchval(FLUSH_SQL)
                except Exception as exc:
                    flush.set_exception(exc)
                except BaseException:
                    flush.cancel()
                    raise
                else:
                    self.flushes += 1
                    flush.set_result(None)
        finally:
            self._flushing = None


async def keep_session(_connection: asyncpg.Connection) -> None:
    """The pool's reset of a released connection: nothing beyond asyncpg's own rollback of a transaction
    left open, because the service keeps no session state (see the module's documentation)."""


class ServicePostgresEngine(RunsQueriesInOpenTransaction, PostgresEngine):
    """Piccolo's PostgreSQL engine: its connections with `SERVER_SETTINGS` and `PostgresTimeouts`, its
    pool releasing them with `keep_session`, its write transactions `PostgresWriteTransaction`s, and a
    `GroupFlush` per event loop."""

    def __init__(self, dsn: str, timeouts: PostgresTimeouts | None = None) -> None:
        self.timeouts = timeouts or PostgresTimeouts()
        server_settings = {**SERVER_SETTINGS, **self.timeouts.server_settings()}
        config = {"dsn": dsn, "server_settings": server_settings, **self.timeouts.connect_config()}
        super().__init__(config=config, extensions=())
        self._group_flushes: WeakKeyDictionary[asyncio.AbstractEventLoop, GroupFlush] = WeakKeyDictionary()
        self._open: ContextVar[PostgresWriteTransaction | None] = ContextVar(
            f"postgres_write_{id(self)}", default=None
        )

    async def start_connection_pool(self, **kwargs: Any) -> None:
        """Piccolo's pool (``kwargs`` for ``asyncpg.create_pool``), connecting with `connect` and
        releasing with `keep_session`."""
        await super().start_connection_pool(**{"reset": keep_session, "connect": connect, **kwargs})

    async def get_new_connection(self) -> asyncpg.Connection:
        """A connection outside the pool (`connect`)."""
        return await connect(**self.config)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection of the pool, waited for at most the acquire timeout, if a pool is running; else a
        new connection, closed afterwards.

        Raises:
            TimeoutError: no connection of the pool came free within the acquire timeout.
        """
        if self.pool is not None:
            async with self.pool.acquire(timeout=self.timeouts.acquire_s) as pooled:
                yield pooled
            return
        connection = await self.get_new_connection()
        try:
            yield connection
        finally:
            await connection.close()

    def write_transaction(self) -> PostgresWriteTransaction | JoinedTransaction:
        """A new write transaction, or the one already open in this context.

        Raises:
            RuntimeError: a transaction of Piccolo's own is open here.
        """
        transaction = self._open.get()
        if transaction is not None:
            return JoinedTransaction(transaction)
        if self.transaction_exists():
            raise RuntimeError("a write inside a Piccolo transaction: open it with write_transaction()")
        return PostgresWriteTransaction(self)

    def open_transaction(self) -> PostgresWriteTransaction | None:
        """The write transaction open in this context, if any."""
        return self._open.get()

    async def run_outside_transaction(self, querystring: QueryString, in_pool: bool) -> Any:
        """A Piccolo query outside the service's write transactions: on a connection of the pool, taken
        within the acquire timeout (Piccolo's own pool path waits without a bound)."""
        if not in_pool or self.pool is None or self.transaction_exists():
            return await super().run_outside_transaction(querystring, in_pool)
        async with self.connection() as connection:
            return await self.run_with(lambda sql, args: connection.fetch(sql, *args), querystring)

    def group_flush(self) -> GroupFlush:
        """The running event loop's `GroupFlush`."""
        loop = asyncio.get_running_loop()
        flush = self._group_flushes.get(loop)
        if flush is None:
            flush = self._group_flushes[loop] = GroupFlush(self.connection)
        return flush


class PostgresWriteTransaction:
    """A write transaction on a connection of its own (see the module docstring). If it committed
    without waiting for its flush (`release_locks_at_commit`), it waits for one of its event loop's
    `GroupFlush` after giving its connection back, shared with the transactions that committed
    meanwhile."""

    def __init__(self, engine: ServicePostgresEngine) -> None:
        self._engine = engine
        self._connection: asyncpg.Connection | None = None
        self._transaction: Any = None
        self._resources = AsyncExitStack()
        self._token: Token[PostgresWriteTransaction | None] | None = None
        self.flush_owed = False

    async def fetch(self, sql: str, args: Sequence[object]) -> list[asyncpg.Record]:
        """Run one statement (``$n`` placeholders) on the transaction's connection; its rows."""
        if self._connection is None:
            raise RuntimeError("the write transaction is not open")
        return await self._connection.fetch(sql, *args)

    def release_locks_at_commit(self) -> str:
        """The ``synchronous_commit`` to set locally on this transaction so that it releases its locks as
        soon as it commits, before its log record is on disk: ``"off"``, and this transaction then waits
        for a flush after its COMMIT, so that its caller still answers only once the change is durable.

        So locks that every audited transaction takes (the audit chain's head row) are held for the commit
        alone, not for the disk write. Log records are flushed in order, so a later transaction that saw
        this one's change can never be on disk without it.
        """
        self.flush_owed = True
        return "off"

    async def __aenter__(self) -> PostgresWriteTransaction:
        connection = await self._resources.enter_async_context(self._engine.connection())
        try:
            self._transaction = connection.transaction()
            await self._transaction.start()
        except BaseException:
            connection.terminate()
            await self._resources.aclose()
            raise
        self._connection = connection
        self._token = self._engine._open.set(self)
        return self

    async def __aexit__(
        self, exception_type: object, exception: BaseException | None, traceback: object
    ) -> None:
        if self._token is not None:
            self._engine._open.reset(self._token)
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if exception is None:
                await self._transaction.commit()
            else:
                await self._transaction.rollback()
        except BaseException:
            connection.terminate()  # the server rolls back whatever was open
            await self._resources.aclose()
            if exception is None:
                raise
            return  # the error that ended the block is the one to report
        await self._resources.aclose()
        if exception is None and self.flush_owed:
            await self._engine.group_flush().wait()


class JoinedTransaction:
    """A `write_transaction` inside another: its statements are the open transaction's."""

    def __init__(self, transaction: PostgresWriteTransaction) -> None:
        self._transaction = transaction

    async def __aenter__(self) -> PostgresWriteTransaction:
        return self._transaction

    async def __aexit__(self, *_exc_info: object) -> None:
        return None
