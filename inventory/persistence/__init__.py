"""Database engines and write transactions, the same on SQLite and PostgreSQL.

Concurrency rules used by every write path:

* SQLite allows one writer. A write transaction starts with ``BEGIN IMMEDIATE`` so that it takes the
  write lock up front and waits (up to the busy timeout) instead of failing when it later upgrades a
  read lock; its statements then run inline on one writer connection per event loop, and units of work
  queued together share one COMMIT (`inventory.persistence.sqlite_writer`).
* PostgreSQL runs at READ COMMITTED. Invariants such as "never negative stock" are enforced with
  conditional ``UPDATE ... WHERE <rule> RETURNING`` statements; a second writer waits for the first to
  commit and then re-checks the rule against the new row.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from inventory.persistence.errors import DatabaseUnavailable as DatabaseUnavailable
from inventory.persistence.errors import insert_unique as insert_unique
from inventory.persistence.errors import is_busy as is_busy
from inventory.persistence.errors import is_unavailable as is_unavailable
from inventory.persistence.errors import is_unique_violation as is_unique_violation
from inventory.persistence.piccolo_bridge import OpenTransaction
from inventory.persistence.postgres_engine import PostgresTimeouts, ServicePostgresEngine
from inventory.persistence.sqlite_writer import WriterSQLiteEngine

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


def write_transaction() -> AbstractAsyncContextManager[OpenTransaction]:
    """A transaction for a unit of work that writes.

    Joins the transaction already open in this context, if any (so that an idempotency record and the
    business change it guards commit together); otherwise opens a transaction on PostgreSQL (which,
    if it released its locks before its flush, waits for the flush before returning: see
    `commit_mode_releasing_locks_early`), or on SQLite a unit of work on this loop's writer connection,
    queued behind this process's earlier writers in arrival order and committed with them
    (`inventory.persistence.sqlite_writer`).
    """
    engine = current_engine()
    if not isinstance(engine, WriterSQLiteEngine | ServicePostgresEngine):
        raise RuntimeError("writes need the engine of create_engine()")
    return engine.write_transaction()


def commit_mode_releasing_locks_early() -> str:
    """The ``synchronous_commit`` to set (locally) on the open PostgreSQL write transaction so that it
    releases its locks as soon as it commits, before its log record is on disk: ``"off"``, and the
    transaction then waits for a flush after its COMMIT
    (`inventory.persistence.postgres_engine.PostgresWriteTransaction.release_locks_at_commit`).

    Raises:
        RuntimeError: no PostgreSQL write transaction is open in this context.
    """
    engine = current_engine()
    transaction = engine.open_transaction() if isinstance(engine, ServicePostgresEngine) else None
    if transaction is None:
        raise RuntimeError("an audit append needs an open write_transaction()")
    return transaction.release_locks_at_commit()


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
    if not isinstance(engine, ServicePostgresEngine):
        return
    transaction = engine.open_transaction()
    if transaction is not None:
        transaction.flush_owed = True
        return
    await engine.group_flush().wait()


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
    transaction = (
        engine.open_transaction() if isinstance(engine, WriterSQLiteEngine | ServicePostgresEngine) else None
    )
    if transaction is None:
        raise RuntimeError("run() needs an open write_transaction()")
    if isinstance(engine, SQLiteEngine):
        return await transaction.fetch(_qmark_sql(sql), args)
    return await transaction.fetch(numbered_placeholders(sql), args)


@lru_cache(maxsize=512)
def _qmark_sql(sql: str) -> str:
    return sql.replace("{}", "?")


@lru_cache(maxsize=512)
def numbered_placeholders(sql: str) -> str:
    """``{}`` placeholders as asyncpg's ``$1, $2, ...``."""
    count = iter(range(1, sql.count("{}") + 1))
    return re.sub(r"\{\}", lambda _: f"${next(count)}", sql)


def placeholders(count: int) -> str:
    """``{}, {}, ...`` for a raw Piccolo query with ``count`` arguments."""
    return ", ".join(["{}"] * count)
