"""SQLite reads outside write transactions: a few long-lived reader connections, each on its own thread.

Piccolo's SQLite engine runs a query outside a transaction on a new connection, opened through aiosqlite
on a new thread, and closed afterwards: about 1.8 ms a query on a national-scale file (starting the
thread, opening the file, reading its schema), where the query itself takes some microseconds. A page
that reads ten times paid that ten times. `SqliteReaders` keeps up to `READERS` connections open instead,
one per thread of its pool, and hands each read to a free one (about 0.05 ms).

Only statements that read run there: those that begin with ``SELECT`` (which SQLite cannot make write)
on connections set to ``query_only``. Anything else outside a write transaction (DDL, a write of a tool
or a test) still runs as Piccolo runs it.

Each statement is its own read transaction (the connections are in autocommit mode), so it sees every
commit published before it started, as a new connection would; no read transaction stays open between
statements, so checkpoints are never held back. A reader checks before each statement that its file is
still the one at the path, and opens the file anew otherwise, as the writer does (`sqlite_writer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from piccolo.engine.sqlite import dict_factory

from inventory.persistence.errors import DatabaseUnavailable

READERS = 8
"""Reads at once on one database, at most (the pool's threads, each with its connection, opened on first
need); further reads wait for a free one."""


def reads_only(sql: str) -> bool:
    """Whether a statement only reads: it begins with ``SELECT``."""
    return sql.lstrip()[:6].upper() == "SELECT"


class _Reader:
    """One thread's connection and the identity of the file it has open."""

    def __init__(self, connection: sqlite3.Connection, file: tuple[int, int]) -> None:
        self.connection = connection
        self.file = file


class SqliteReaders:
    """Reader connections to one database file, one per thread of a small pool (see the module)."""

    def __init__(self, path: str, connect_kwargs: Mapping[str, Any], identity: Any) -> None:
        """``identity(path)`` answers the file's device and inode (raising `DatabaseUnavailable` when it is
        gone); ``connect_kwargs`` open it as the service's other connections do."""
        self._path = path
        self._connect_kwargs = {**connect_kwargs, "check_same_thread": False}
        self._identity = identity
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="sqlite-read")

    async def fetch(self, sql: str, args: Sequence[object]) -> list[Any]:
        """Run one reading statement (``?`` placeholders) on a reader connection; its rows as dicts."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._fetch, sql, tuple(args))

    def _fetch(self, sql: str, args: tuple[object, ...]) -> list[Any]:
        return self._reader().connection.execute(sql, args).fetchall()

    def _reader(self) -> _Reader:
        """This thread's reader, opened anew if its file is no longer the one at the path."""
        reader: _Reader | None = getattr(self._local, "reader", None)
        if reader is not None:
            with contextlib.suppress(DatabaseUnavailable):
                if self._identity(self._path) == reader.file:
                    return reader
            self._local.reader = None
            self._forget(reader.connection)
        reader = self._local.reader = self._open()
        return reader

    def _open(self) -> _Reader:
        """
        Raises:
            sqlite3.Error, DatabaseUnavailable: the file is missing, unreadable or not a database.
        """
        connection = sqlite3.connect(**self._connect_kwargs)
        try:
            connection.row_factory = dict_factory
            connection.execute("PRAGMA query_only = 1")
            reader = _Reader(connection, self._identity(self._path))
        except BaseException:
            connection.close()
            raise
        with self._lock:
            self._opened.append(connection)
        return reader

    def _forget(self, connection: sqlite3.Connection) -> None:
        with self._lock:
            self._opened.remove(connection)
        connection.close()

    def close(self) -> None:
        """Wait for the reads under way, then close every connection."""
        self._pool.shutdown(wait=True)
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
