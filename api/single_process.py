"""SQLite serves one web process: an exclusive lock on a file next to the database, held while the app
serves.

SQLite has one writer at a time, and where there is no job queue the web process runs the periodic jobs
itself (`api.sweeper`), so a second web process on the same file would only contend for the write lock
and run every job twice. The second one fails at start-up instead, saying why and what to do. The lock
is ``fcntl.flock`` on ``<database file>.lock``: non-blocking, and released by the system when the
process ends however it ends, so a crashed process leaves no stale lock.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from litestar import Litestar

from api.settings import Settings
from inventory.persistence import sqlite_path

log = structlog.get_logger("api.single_process")


class AnotherWebProcess(RuntimeError):
    """Another web process serves the same SQLite file."""


def lock_path(database: Path) -> Path:
    """The lock file of an SQLite database file."""
    return database.with_name(f"{database.name}.lock")


def refusal(database: Path) -> str:
    return (
        f"another web process is serving the SQLite database {database} (it holds {lock_path(database)}). "
        "SQLite serves one web process, which also runs the periodic jobs: stop the other process, or "
        "for several web processes use PostgreSQL (DATABASE_URL=postgresql://...) with a worker "
        "(python -m api worker)"
    )


def single_web_process_lifespan(settings: Settings):
    """An app lifespan that holds the SQLite database's lock file while the app serves (nothing on
    PostgreSQL).

    Raises:
        AnotherWebProcess: at start-up, when another process holds it.
    """

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        database = sqlite_path(settings.database_url)
        if database is None:
            yield
            return
        try:
            descriptor = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            # The database's folder is missing: requests answer 503 until it is back; nothing to guard.
            log.warning("sqlite_folder_missing", database=str(database))
            yield
            return
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                message = refusal(database)
                log.error("another_web_process", database=str(database), detail=message)
                raise AnotherWebProcess(message) from None
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(descriptor)

    return lifespan
