"""Persistence: everything that differs between SQLite and PostgreSQL, behind one interface.

Domain services call the named operations of the `Store` in use (`current_store()`), inside its
`write_transaction()` when they write, and Piccolo's query builder for the rest. They never branch on the
engine, never write SQL and never import a driver. The store in use belongs to the application serving
the request or running the background task (`using_store`), never to the process.

* `store` - `Store`, the interface: every operation by name; the SQL both engines run is there.
* `sqlite`, `postgres` - the operations that differ, per engine, and why.
* `sqlite_writer`, `postgres_engine` - the engines: write transactions, SQLite's group commit,
  PostgreSQL's pool, timeouts and shared log flushes.
* `audit_link` - the audit chain's hash and MAC: which engine computes them, where, and why.
* `piccolo_bridge` and `scoped_engine` - the two reliances on parts of Piccolo that its documentation
  does not describe: Piccolo queries inside the service's write transactions, and every table's queries
  on the engine of the store in use (`SCOPED_ENGINE`, the ``db`` of every table).
* `engines` - the engine and store for a database URL, and the store in use in the current context;
  `errors` - the drivers' errors told apart; `rows` - the rows the store writes and returns.
* `release_lock` - one release at a time applies its migrations to a database: PostgreSQL's advisory
  lock, or a file lock next to the SQLite file.

Concurrency rules of every write path:

* SQLite allows one writer. A write transaction starts with ``BEGIN IMMEDIATE`` so that it takes the
  write lock up front and waits (up to the busy timeout) instead of failing when it later upgrades a
  read lock; its statements then run inline on one writer connection per event loop, and units of work
  queued together share one COMMIT.
* PostgreSQL runs at READ COMMITTED. Invariants such as "never negative stock" are enforced with
  conditional ``UPDATE ... WHERE <rule> RETURNING`` statements; a second writer waits for the first to
  commit and then re-checks the rule against the new row. Where the rule spans rows that do not exist
  yet (two plans of a day committed at once), a transaction-level advisory lock orders the writers
  (`Store.lock_plan_day`).
* Either engine answers a write only once it is durable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from inventory.persistence.engines import (
    EngineKind,
    NoStoreInUse,
    create_engine,
    current_engine,
    current_store,
    engine_kind,
    serving,
    sqlite_path,
    store_for,
    using_store,
)
from inventory.persistence.errors import (
    DatabaseUnavailable,
    insert_unique,
    is_busy,
    is_unavailable,
    is_unique_violation,
)
from inventory.persistence.piccolo_bridge import OpenTransaction
from inventory.persistence.postgres import numbered_placeholders
from inventory.persistence.postgres_engine import PostgresTimeouts
from inventory.persistence.release_lock import RELEASE_LOCK_KEY, release_lock
from inventory.persistence.rows import (
    LEVEL_COLUMNS,
    MOVEMENT_COLUMNS,
    LevelDeltas,
    MovedUnit,
    MovementRow,
    ReservationItemRow,
    ReservationRow,
)
from inventory.persistence.scoped_engine import SCOPED_ENGINE
from inventory.persistence.store import Store

__all__ = [
    "LEVEL_COLUMNS",
    "MOVEMENT_COLUMNS",
    "RELEASE_LOCK_KEY",
    "SCOPED_ENGINE",
    "DatabaseUnavailable",
    "EngineKind",
    "LevelDeltas",
    "MovedUnit",
    "MovementRow",
    "NoStoreInUse",
    "OpenTransaction",
    "PostgresTimeouts",
    "ReservationItemRow",
    "ReservationRow",
    "Store",
    "create_engine",
    "current_engine",
    "current_store",
    "engine_kind",
    "insert_unique",
    "is_busy",
    "is_unavailable",
    "is_unique_violation",
    "numbered_placeholders",
    "release_lock",
    "run",
    "serving",
    "sqlite_path",
    "store_for",
    "using_store",
    "wait_durable",
    "write_transaction",
]


def write_transaction() -> AbstractAsyncContextManager[OpenTransaction]:
    """The `Store.write_transaction` of the store in use."""
    return current_store().write_transaction()


async def run(sql: str, *args: object) -> Sequence[Mapping[str, Any]]:
    """The `Store.run` of the store in use: one statement (``{}`` placeholders) in the open write
    transaction."""
    return await current_store().run(sql, *args)


async def wait_durable() -> None:
    """The `Store.wait_durable` of the store in use."""
    await current_store().wait_durable()
