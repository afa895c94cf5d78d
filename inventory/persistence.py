"""Database engines and write transactions, the same on SQLite and PostgreSQL.

Concurrency rules used by every write path:

* SQLite allows one writer. A write transaction starts with ``BEGIN IMMEDIATE`` so that it takes the
  write lock up front and waits (up to the busy timeout) instead of failing when it later upgrades a
  read lock; its statements then run inline on one writer connection per event loop, and units of work
  queued together share one COMMIT (`inventory.sqlite_writer`).
* PostgreSQL runs at READ COMMITTED. Invariants such as "never negative stock" are enforced with
  conditional ``UPDATE ... WHERE <rule> RETURNING`` statements; a second writer waits for the first to
  commit and then re-checks the rule against the new row.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from inventory import unavailable
from inventory.postgres_engine import PostgresTimeouts, ServicePostgresEngine, abandon
from inventory.sqlite_writer import GroupedWriteTransaction, WriterSQLiteEngine

EngineKind = Literal["sqlite", "postgresql"]

_bound_engine: Engine | None = None


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///relative`` or ``sqlite:////absolute`` URL; None for other URLs."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///"))


def create_engine(
    url: str,
    *,
    busy_timeout_s: float = 30.0,
    timeouts: PostgresTimeouts | None = None,
    create_missing: bool = True,
) -> Engine:
    """Build a Piccolo engine from a database URL (``sqlite:///path`` or ``postgresql://...``).

    With ``create_missing`` (for migrations), a missing SQLite file and its folder are created. The file
    is switched to WAL mode, which persists in it (the writer connection sets it again when it opens).
    Otherwise a missing file stays missing, and every request needing it fails as unavailable until it
    is back. ``timeouts`` bound the waits for a PostgreSQL server (`PostgresTimeouts`).
    """
    path = sqlite_path(url)
    if path is not None:
        if create_missing:
            path.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(path) as connection:
                connection.execute("PRAGMA journal_mode=WAL")
        return WriterSQLiteEngine(str(path), busy_timeout_s=busy_timeout_s)
    scheme = urlparse(url).scheme
    if scheme in {"postgres", "postgresql"}:
        return ServicePostgresEngine(url, timeouts)
    raise ValueError(f"unsupported DATABASE_URL scheme {scheme!r}: use sqlite:/// or postgresql://")


def engine_kind(engine: Engine) -> EngineKind:
    """``"sqlite"`` or ``"postgresql"``."""
    return "sqlite" if isinstance(engine, SQLiteEngine) else "postgresql"


def bind_engine(engine: Engine, tables: Iterable[type[Table]]) -> None:
    """Point every table (and `write_transaction`) at ``engine``."""
    global _bound_engine  # noqa: PLW0603
    _bound_engine = engine
    for table in tables:
        table._meta.db = engine


def current_engine() -> Engine:
    """The engine bound by `bind_engine`, or the one from ``piccolo_conf``."""
    if _bound_engine is not None:
        return _bound_engine
    from piccolo.engine.finder import engine_finder

    engine = engine_finder()
    if engine is None:
        raise RuntimeError("no database engine configured")
    return engine


def write_transaction():
    """A transaction for a unit of work that writes.

    Joins the transaction already open in this context, if any (so that an idempotency record and the
    business change it guards commit together); otherwise opens a transaction on PostgreSQL (which,
    if it released its locks before its flush, waits for the flush before returning: see
    `commit_mode_releasing_locks_early`), or on SQLite a unit of work on this loop's writer connection,
    queued behind this process's earlier writers in arrival order and committed with them
    (`inventory.sqlite_writer`).
    """
    engine = current_engine()
    if not isinstance(engine, SQLiteEngine):
        if engine.current_transaction.get() is None:
            return _DurableBeforeAnswer(engine)
        return engine.transaction()
    outer = engine.current_transaction.get()
    if outer is None:
        if not isinstance(engine, WriterSQLiteEngine):
            raise RuntimeError("SQLite writes need the engine of create_engine()")
        return engine.write_transaction()
    if not isinstance(outer, GroupedWriteTransaction):
        raise RuntimeError("a write joined a read-only SQLite transaction; open it with write_transaction()")
    return engine.transaction(transaction_type=TransactionType.immediate)


_open_write: ContextVar[_DurableBeforeAnswer | None] = ContextVar("open_write", default=None)


def commit_mode_releasing_locks_early() -> str:
    """The ``synchronous_commit`` to set (locally) on the open PostgreSQL write transaction so that it
    releases its locks as soon as it commits, before its log record is on disk: ``"off"`` when the
    `write_transaction` that opened it will wait for the flush after COMMIT (it now will), else ``"on"``.

    So locks that every such transaction takes (the audit chain's head row) are held for the commit
    alone, not for the disk write, while the caller still answers only once its change is durable. Log
    records are flushed in order, so a later transaction that saw this one's change can never be on disk
    without it.
    """
    write = _open_write.get()
    if write is None:
        return "on"
    write.flush_owed = True
    return "off"


async def wait_durable() -> None:
    """Make sure that what this context has read is durable before it is answered, e.g. a stored
    answer that a retry replays: its transaction may have committed without waiting for its flush.

    On PostgreSQL this waits for a flush started after the read (`GroupFlush`), which covers every
    commit the read could see. Inside a `write_transaction` the wait is left to that transaction, which
    then waits once it has given its connection back, as an audited one does; elsewhere it waits now.
    On SQLite there is nothing to wait for: another connection sees a commit only once it is on disk
    (the WAL is synced, ``synchronous = FULL``, before the commit is published in the WAL index), and a
    unit of work that reads an earlier unit of its own group is answered after the group's COMMIT.
    """
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        return
    write = _open_write.get()
    if write is not None:
        write.flush_owed = True
        return
    if not isinstance(engine, ServicePostgresEngine):
        raise RuntimeError("PostgreSQL reads need the engine of create_engine() to wait for durability")
    await engine.group_flush().wait()


class _DurableBeforeAnswer:
    """A PostgreSQL write transaction that, if it committed without waiting for its flush, waits for one
    after giving its connection back: a flush of its event loop's `GroupFlush`, shared with the other
    transactions that committed meanwhile (`inventory.postgres_engine`)."""

    def __init__(self, engine: Engine) -> None:
        if not isinstance(engine, ServicePostgresEngine):
            raise RuntimeError("PostgreSQL writes need the engine of create_engine()")
        self._engine = engine
        self._transaction = engine.transaction()
        self.flush_owed = False

    async def __aenter__(self):
        self._token = _open_write.set(self)
        try:
            return await self._transaction.__aenter__()
        except BaseException:
            _open_write.reset(self._token)
            abandon(self._engine, self._transaction)
            raise

    async def __aexit__(self, *exc_info: object) -> bool:
        _open_write.reset(self._token)
        try:
            if exc_info[1] is not None or not self.flush_owed:
                return await self._transaction.__aexit__(*exc_info)
            try:
                await self._transaction.commit()
            except BaseException as exc:
                await self._transaction.__aexit__(type(exc), exc, exc.__traceback__)
                raise
            await self._transaction.__aexit__(None, None, None)  # committed: gives the connection back
        except BaseException:
            abandon(self._engine, self._transaction)
            raise
        await self._engine.group_flush().wait()
        return True


async def run(sql: str, *args: object) -> Sequence[Mapping[str, Any]]:
    """Run one statement of the hot write paths with the driver, on the open transaction's connection.

    Placeholders are ``{}``, as in Piccolo's raw queries; values are adapted exactly as Piccolo adapts
    them (its SQLite adapters and converters are registered with ``sqlite3`` globally). Piccolo's own
    path costs about three times as much per statement on SQLite (an extra ``PRAGMA`` round trip and
    several thread hand-offs) and a third more on PostgreSQL, which adds up on a reservation's dozen
    statements.

    Raises:
        RuntimeError: no transaction is open in this context.
    """
    engine = current_engine()
    transaction = engine.current_transaction.get()
    if transaction is None:
        raise RuntimeError("run() needs an open write_transaction()")
    if isinstance(engine, SQLiteEngine):
        return await transaction.connection.execute_fetchall(_qmark_sql(sql), args)
    return await transaction.connection.fetch(numbered_placeholders(sql), *args)


@lru_cache(maxsize=512)
def _qmark_sql(sql: str) -> str:
    return sql.replace("{}", "?")


@lru_cache(maxsize=512)
def numbered_placeholders(sql: str) -> str:
    """``{}`` placeholders as asyncpg's ``$1, $2, ...``."""
    count = iter(range(1, sql.count("{}") + 1))
    return re.sub(r"\{\}", lambda _: f"${next(count)}", sql)


def is_unavailable(exc: BaseException) -> bool:
    """Whether a database error means the database cannot be used right now (gone, refusing
    connections, locked past the busy timeout, or too slow to answer), on either engine."""
    return unavailable.is_unavailable(exc)


def is_busy(exc: BaseException) -> bool:
    """Whether a database error is SQLite's write lock held by another connection past the busy
    timeout."""
    return unavailable.is_busy(exc)


def is_unique_violation(exc: BaseException) -> bool:
    """Whether a database error is a unique-constraint violation, on either engine."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE constraint failed" in str(exc)
    import asyncpg

    return isinstance(exc, asyncpg.UniqueViolationError)


def placeholders(count: int) -> str:
    """``{}, {}, ...`` for a raw Piccolo query with ``count`` arguments."""
    return ", ".join(["{}"] * count)


async def insert_unique(row: Table, conflict: Exception) -> None:
    """Insert a row; if a unique constraint refuses it (a concurrent writer won), raise ``conflict``."""
    try:
        await type(row).insert(row)
    except Exception as exc:
        if is_unique_violation(exc):
            raise conflict from exc
        raise
