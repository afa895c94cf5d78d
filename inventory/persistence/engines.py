"""Which engine and store serve a database URL, and which store is in use in the current context.

The store in use is a context variable, not a module global: an application sets its own store for each
request it serves and for its background tasks (`using_store`), so that two applications with different
databases can run in one process. Domain services read it with `current_store`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine

from inventory.persistence.postgres import PostgresStore
from inventory.persistence.postgres_engine import PostgresTimeouts, ServicePostgresEngine
from inventory.persistence.sqlite import SqliteStore
from inventory.persistence.sqlite_writer import WriterSQLiteEngine
from inventory.persistence.store import Store

EngineKind = Literal["sqlite", "postgresql"]

_in_use: ContextVar[Store | None] = ContextVar("spareline_store", default=None)


class NoStoreInUse(RuntimeError):
    """Database work outside any application's request, background task or `using_store` block."""


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
) -> WriterSQLiteEngine | ServicePostgresEngine:
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


def store_for(engine: Engine, *, audit_chain: bool = True) -> Store:
    """The store of an engine of `create_engine` (``audit_chain``: see `Store`).

    Raises:
        RuntimeError: the engine is not one of `create_engine`.
    """
    if isinstance(engine, WriterSQLiteEngine):
        return SqliteStore(engine, audit_chain=audit_chain)
    if isinstance(engine, ServicePostgresEngine):
        return PostgresStore(engine, audit_chain=audit_chain)
    raise RuntimeError(f"the service needs an engine of create_engine(), not {type(engine).__name__}")


@contextmanager
def using_store(store: Store) -> Iterator[Store]:
    """Make ``store`` the one `current_store` returns in this context (and in tasks started in it) until
    the block ends."""
    token = _in_use.set(store)
    try:
        yield store
    finally:
        _in_use.reset(token)


def current_store() -> Store:
    """The store in use in this context (`using_store`).

    Raises:
        NoStoreInUse: none is: the code runs outside the requests and background tasks of an application.
    """
    store = _in_use.get()
    if store is None:
        raise NoStoreInUse(
            "no database store is in use here: run this inside an application's request or background "
            "task, or in a `using_store(...)` block"
        )
    return store


def current_engine() -> WriterSQLiteEngine | ServicePostgresEngine:
    """The engine of `current_store`."""
    return current_store().engine  # type: ignore[return-value]


def engine_kind(engine: Engine) -> EngineKind:
    """``"sqlite"`` or ``"postgresql"``."""
    return "sqlite" if isinstance(engine, SQLiteEngine) else "postgresql"


@asynccontextmanager
async def serving(engine: Engine, *, pool_min_size: int, pool_max_size: int) -> AsyncIterator[None]:
    """Hold what ``engine`` needs while the service runs: PostgreSQL's connection pool (opened here), or
    SQLite's writer and reader connections (closed at the end)."""
    if isinstance(engine, ServicePostgresEngine):
        await engine.start_connection_pool(min_size=pool_min_size, max_size=pool_max_size)
        try:
            yield
        finally:
            await engine.close_connection_pool()
        return
    try:
        yield
    finally:
        if isinstance(engine, WriterSQLiteEngine):
            engine.close_writer()
            engine.close_readers()
