"""The drivers' errors told apart, on either engine: a database that cannot be used right now (answered
503 with ``Retry-After`` by `api.errors`), SQLite's write lock held elsewhere, and a unique constraint that
refused a row.
"""

from __future__ import annotations

import sqlite3

import asyncpg
from piccolo.table import Table


class DatabaseUnavailable(Exception):
    """The service could not reach its database (raised by the engines in place of the OS's error)."""


UNAVAILABLE_SQLITE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_NOTADB,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_PROTOCOL,
    }
)
"""Primary SQLite result codes of a file that is locked, missing, unreadable, unwritable or full."""

UNAVAILABLE_POSTGRES_ERRORS = (
    asyncpg.PostgresConnectionError,  # class 08: the connection failed or was lost
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutdown, terminated, statement_timeout
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full
    asyncpg.exceptions.InvalidCatalogNameError,  # the database does not exist (dropped)
)
"""PostgreSQL errors of a server or database that is away or overloaded, not of the statement."""


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be used right now, rather than that a statement failed.

    Timeouts count (the service's own timeouts bound its waits for the database), and so does an error
    raised while cleaning up after one of these (asyncpg refuses a rollback on a lost connection).
    """
    if isinstance(exc, (DatabaseUnavailable, TimeoutError, *UNAVAILABLE_POSTGRES_ERRORS)):
        return True
    if isinstance(exc, sqlite3.Error):
        return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in UNAVAILABLE_SQLITE_CODES
    if isinstance(exc, asyncpg.InterfaceError):
        cause = exc.__cause__ or exc.__context__
        return cause is not None and is_unavailable(cause)
    return False


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's write lock held by another connection past the busy timeout."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    return isinstance(exc, sqlite3.OperationalError) and code in {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def is_unique_violation(exc: BaseException) -> bool:
    """Whether a database error is a unique-constraint violation, on either engine."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE constraint failed" in str(exc)
    return isinstance(exc, asyncpg.UniqueViolationError)


async def insert_unique(row: Table, conflict: Exception) -> None:
    """Insert a row; if a unique constraint refuses it (a concurrent writer won), raise ``conflict``."""
    try:
        await type(row).insert(row)
    except Exception as exc:
        if is_unique_violation(exc):
            raise conflict from exc
        raise
