"""The release lock: one release at a time applies its changes to a database.

A release (``python -m api migrate``, the Procfile's ``release`` process) applies the Piccolo migrations
and whatever else the release brings. Piccolo's forwards migration takes no lock: it reads which
migrations ran, then applies the others, so releases started together (several deploys, or a platform
that runs the release step on more than one machine) each try to create the same tables, and all but one
fail half-way (``DuplicateTableError``, ``table "depot" already exists``). Under `release_lock` they
queue instead: the first applies everything, the others then find nothing left to do and succeed.

**PostgreSQL**: a session-level advisory lock, ``pg_advisory_lock(RELEASE_LOCK_KEY)``, on a connection
opened for it alone and held for the whole release. Session-level, because the migrations run in
transactions of their own on other connections; a transaction-level lock would end with the first. An
advisory lock belongs to one database, so releases of other databases on the same server do not wait.
The block ends with ``pg_advisory_unlock``; if it fails, or the process dies, the session's end releases
the lock (closing the connection, or the server noticing it is gone). The lock's session has no
statement, lock or idle-session timeout, so that waiting for a long release, or holding the lock through
one, is never cut short by the database's defaults.

**SQLite**: an exclusive ``flock`` on ``<database file>.migrate.lock`` next to the database (created with
its folder if missing, and left in place: removing it would let a later release lock another file than a
waiting one). The kernel releases it when the process ends, however it ends. A file of its own, not the
database: SQLite's own locks on the database last for one transaction, and the migrations run many.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from urllib.parse import urlparse

from inventory.persistence.engines import sqlite_path
from inventory.persistence.postgres_engine import connect

RELEASE_LOCK_KEY = 0x53706172656C696E
"""The PostgreSQL advisory lock key of releases: the ASCII bytes of ``Sparelin`` read as a 64-bit integer
(6012412646495381870). ``pg_locks`` shows it as ``locktype = 'advisory'``, ``classid = 1399873906``,
``objid = 1701603694``, ``objsubid = 1``."""

LOCK_SESSION_SETTINGS = {"statement_timeout": "0", "lock_timeout": "0"}
"""The lock's session waits for the lock as long as another release takes (see the module)."""

SQLITE_LOCK_SUFFIX = ".migrate.lock"
SQLITE_POLL_S = 0.1
"""How often a waiting SQLite release tries the file lock again (a non-blocking try, so that waiting
stays cancellable and needs no thread)."""

WaitNotice = Callable[[], None]


def release_lock(
    url: str, *, connect_timeout_s: float | None = None, on_wait: WaitNotice | None = None
) -> AbstractAsyncContextManager[None]:
    """Hold the release lock of the database at ``url`` for the block (see the module).

    ``connect_timeout_s`` bounds connecting to PostgreSQL; ``on_wait`` is called once if another
    release holds the lock, before waiting for it.

    Raises:
        DatabaseUnavailable: PostgreSQL could not be reached.
        ValueError: the URL is neither ``sqlite:///`` nor ``postgresql://``.
    """
    path = sqlite_path(url)
    if path is not None:
        return sqlite_release_lock(sqlite_lock_file(path), on_wait=on_wait)
    if urlparse(url).scheme in {"postgres", "postgresql"}:
        return postgres_release_lock(url, connect_timeout_s=connect_timeout_s, on_wait=on_wait)
    raise ValueError(f"unsupported DATABASE_URL {url!r}: use sqlite:/// or postgresql://")


def sqlite_lock_file(database: Path) -> Path:
    """The release lock file of an SQLite database: ``<database>.migrate.lock``."""
    return database.with_name(database.name + SQLITE_LOCK_SUFFIX)


@asynccontextmanager
async def postgres_release_lock(
    url: str, *, connect_timeout_s: float | None = None, on_wait: WaitNotice | None = None
) -> AsyncIterator[None]:
    """``pg_advisory_lock(RELEASE_LOCK_KEY)`` on a connection of its own, for the block."""
    timeout = {} if connect_timeout_s is None else {"timeout": connect_timeout_s}
    connection = await connect(url, server_settings=LOCK_SESSION_SETTINGS, **timeout)
    try:
        if connection.get_server_version() >= (14,):
            await connection.execute("SET idle_session_timeout = 0")
        if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", RELEASE_LOCK_KEY):
            if on_wait is not None:
                on_wait()
            await connection.execute("SELECT pg_advisory_lock($1)", RELEASE_LOCK_KEY)
        yield
        await connection.execute("SELECT pg_advisory_unlock($1)", RELEASE_LOCK_KEY)
    finally:
        await connection.close()


@asynccontextmanager
async def sqlite_release_lock(lock_file: Path, *, on_wait: WaitNotice | None = None) -> AsyncIterator[None]:
    """An exclusive ``flock`` on ``lock_file`` (created with its folder if missing), for the block."""
    descriptor = _open_lock_file(lock_file)
    try:
        if not _try_lock(descriptor):
            if on_wait is not None:
                on_wait()
            # No event tells another process's unlock: try again now and then (see SQLITE_POLL_S).
            while not _try_lock(descriptor):  # noqa: ASYNC110
                await asyncio.sleep(SQLITE_POLL_S)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _open_lock_file(lock_file: Path) -> int:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    # Read-only is enough for flock, so any user who may run a release may take the lock.
    return os.open(lock_file, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
