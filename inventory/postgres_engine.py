"""The service's PostgreSQL engine: Piccolo's, with connections released without a session reset, and
with waits for the log flush shared by many committed transactions at once.

**Releasing connections.** asyncpg's pool resets every connection it gets back (``RESET ALL``, ``CLOSE
ALL``, ``UNLISTEN *``, advisory locks released), one more round trip per transaction. The service keeps
no session state to reset: the settings it changes are transaction-local (``set_config(..., true)``,
``SET CONSTRAINTS``), it takes no advisory locks, listens to nothing and opens no cursors outside a
transaction. So its pool skips that query (`keep_session`); asyncpg itself still rolls back a transaction
left open on a released connection.

**Generic plans.** The service sends every statement prepared (asyncpg), with its values as parameters.
PostgreSQL's default plan cache mode plans such a statement afresh for each execution whenever the
plans made for its values look cheaper than the generic one, and on the reservation path that kept
happening: `perf` put 10-20 % of the backends' CPU during the reservation benchmark in the planner,
called from the plan cache. The service's statements find their rows by key, so one generic plan per
connection serves every value; every connection of the service sets
``plan_cache_mode = force_generic_plan`` (`SERVER_SETTINGS`).

**Waiting for the flush.** A write transaction that committed with ``synchronous_commit = off``, so that
it released its row locks before its log record reached the disk
(`inventory.persistence.commit_mode_releasing_locks_early`), must still not answer before its change is
durable. Committing `FLUSH_SQL`, a transaction that writes a log record, waits until the log is on disk
up to that record; the log is written in order, so that covers every commit before it. One flush started
after a transaction's COMMIT returned therefore makes that transaction durable, and one flush serves
every transaction that committed before it started. `GroupFlush` runs such flushes one at a time per
event loop, on a connection of the pool: a transaction that committed while a flush was running waits
for the next one, which starts as soon as the running one ends. The committed transactions give their
connections back at once instead of holding them for a flush round trip each.

**Timeouts** (`PostgresTimeouts`). A server that is down, unreachable or not answering must cost a
request a bounded wait, never a hang: connecting is bounded by asyncpg's ``timeout``; each statement by
the server's ``statement_timeout`` and, a little later, by asyncpg's ``command_timeout`` (for a server
that does not answer at all; asyncpg then cancels the statement or drops the connection); waiting for a
connection of the pool by a default timeout on ``acquire`` (`AcquireTimeoutPool`; Piccolo acquires
without one), which covers opening a new connection too. Failures to connect are raised as
`inventory.unavailable.DatabaseUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from weakref import WeakKeyDictionary

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from inventory.unavailable import DatabaseUnavailable

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


class AcquireTimeoutPool:
    """An asyncpg pool whose ``acquire`` waits at most ``timeout_s`` unless told otherwise (then raising
    ``TimeoutError``); asyncpg bounds releasing such a connection by the same timeout."""

    def __init__(self, pool: asyncpg.Pool, timeout_s: float) -> None:
        self.pool = pool
        self.timeout_s = timeout_s

    def acquire(self, *, timeout: float | None = None) -> Any:
        """``Pool.acquire``: awaitable, or an ``async with`` that releases the connection."""
        return self.pool.acquire(timeout=self.timeout_s if timeout is None else timeout)

    def __getattr__(self, name: str) -> Any:
        """Everything else (``release``, ``close`` ...) is the pool's own."""
        return getattr(self.pool, name)


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


def abandon(engine: PostgresEngine, transaction: PostgresTransaction) -> None:
    """Give back the connection of a transaction that failed to begin or to end.

    Piccolo neither releases the connection nor forgets the transaction when BEGIN, COMMIT or ROLLBACK
    raises; left so, a connection that is still alive would stay out of the pool for good. It is
    terminated instead (the server rolls back whatever was open), which returns it to the pool; a
    connection already given back is left alone.
    """
    connection = getattr(transaction, "connection", None)
    if connection is not None:
        with contextlib.suppress(asyncpg.InterfaceError):  # released already
            connection.terminate()
    if engine.current_transaction.get() is transaction:
        engine.current_transaction.set(None)


async def keep_session(_connection: asyncpg.Connection) -> None:
    """The pool's reset of a released connection: nothing beyond asyncpg's own rollback of a transaction
    left open, because the service keeps no session state (see the module's documentation)."""


class ServicePostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine: its connections with `SERVER_SETTINGS` and `PostgresTimeouts`, its
    pool releasing them with `keep_session`, and a `GroupFlush` per event loop for its write
    transactions."""

    def __init__(self, dsn: str, timeouts: PostgresTimeouts | None = None) -> None:
        self.timeouts = timeouts or PostgresTimeouts()
        server_settings = {**SERVER_SETTINGS, **self.timeouts.server_settings()}
        config = {"dsn": dsn, "server_settings": server_settings, **self.timeouts.connect_config()}
        super().__init__(config=config, extensions=())
        self._group_flushes: WeakKeyDictionary[asyncio.AbstractEventLoop, GroupFlush] = WeakKeyDictionary()

    async def start_connection_pool(self, **kwargs: Any) -> None:
        """Piccolo's pool (``kwargs`` for ``asyncpg.create_pool``), connecting with `connect`, releasing
        with `keep_session`, and acquiring within the acquire timeout (`AcquireTimeoutPool`)."""
        await super().start_connection_pool(**{"reset": keep_session, "connect": connect, **kwargs})
        if self.timeouts.acquire_s is not None and self.pool is not None:
            self.pool = AcquireTimeoutPool(self.pool, self.timeouts.acquire_s)  # type: ignore[assignment]

    async def get_new_connection(self) -> asyncpg.Connection:
        """A connection outside the pool (`connect`)."""
        return await connect(**self.config)

    def group_flush(self) -> GroupFlush:
        """The running event loop's `GroupFlush`."""
        loop = asyncio.get_running_loop()
        flush = self._group_flushes.get(loop)
        if flush is None:
            flush = self._group_flushes[loop] = GroupFlush(self._flush_connection)
        return flush

    @asynccontextmanager
    async def _flush_connection(self) -> Any:
        """A connection of the pool if one is running, else a new one, closed afterwards."""
        if self.pool is not None:
            async with self.pool.acquire() as connection:
                yield connection
            return
        connection = await self.get_new_connection()
        try:
            yield connection
        finally:
            await connection.close()
