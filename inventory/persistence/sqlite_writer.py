"""SQLite write transactions: inline statements on one connection per event loop, and group commit.

SQLite has one writer at a time, and in WAL mode a transaction that holds the write lock never waits:
its statements are page reads and writes of some microseconds each. What a write costs is the hand-off
of every statement to a thread (Piccolo's SQLite engine, through aiosqlite, opens a connection and a
thread per transaction) and the flush of the log to disk at COMMIT (``synchronous = FULL``, so that a
committed change survives a power cut). Both stretch the time the write lock is held, and that time
caps a whole process's writes.

So a unit of work written with `write_transaction` here

* waits for its turn on this loop's writer connection (arrival order);
* runs its statements inline on the loop's thread, inside a ``SAVEPOINT`` of a ``BEGIN IMMEDIATE``
  transaction that the units queued behind it may join (a *group*, at most `MAX_GROUP` units);
* on error, rolls back to its savepoint alone, leaving the group's other units as they were;
* on success, answers only once the group's COMMIT has reached the disk. The last unit of a group starts
  the COMMIT on the writer's own thread, so the loop serves other requests meanwhile.

One flush then makes several units durable, and each unit still commits or rolls back as a whole.
Taking the write lock never blocks the loop either: while another process writes, ``BEGIN IMMEDIATE``
is retried after short asyncio sleeps, up to the busy timeout.

Piccolo queries inside a unit run inline on its connection too (`inventory.persistence.piccolo_bridge`),
as do the store's statements. Reads outside write transactions run on a few long-lived reader
connections (`inventory.persistence.sqlite_readers`); any other statement outside them takes Piccolo's
own connection and thread.

**Durability.** Every connection the service opens is a `DurableConnection`: ``synchronous = FULL``,
set by the service rather than left to how SQLite was built, so that a COMMIT returns only once the WAL
is synced. In WAL mode SQLite syncs a commit before it publishes it in the WAL index, so another
connection never sees a commit that is not on disk yet. Connections open the file by a ``mode=rw`` URI:
a missing file is an error (``SQLITE_CANTOPEN``), never a new empty database. The writer connection,
which stays open, checks before each group that its file is still the one at the path (not deleted,
moved or replaced), and opens the file anew otherwise: writes to a deleted file would be lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar, Token
from typing import Any
from urllib.parse import quote

from piccolo.engine.sqlite import SQLiteEngine, dict_factory
from piccolo.querystring import QueryString

from inventory.persistence.errors import DatabaseUnavailable
from inventory.persistence.piccolo_bridge import RunsQueriesInOpenTransaction
from inventory.persistence.sqlite_readers import SqliteReaders, reads_only

MAX_GROUP = 16
"""Units of work that one COMMIT makes durable at most, which bounds how long the first one waits."""
FIRST_RETRY_S = 0.0005
LAST_RETRY_S = 0.01
"""Back-off between ``BEGIN IMMEDIATE`` attempts while another process holds the write lock."""
SAVEPOINT = "unit_of_work"


class DurableConnection(sqlite3.Connection):
    """A connection of the service (the ``factory`` of ``sqlite3.connect``): ``synchronous = FULL``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA synchronous = FULL")


def existing_file_uri(path: str) -> str:
    """A URI that opens the database at ``path`` for reading and writing, without ever creating it."""
    return f"file:{quote(path)}?mode=rw"


def file_identity(path: str) -> tuple[int, int]:
    """The device and inode of the file at ``path``.

    Raises:
        DatabaseUnavailable: there is no file at ``path`` (any more).
    """
    try:
        found = os.stat(path)
    except OSError as exc:
        raise DatabaseUnavailable(f"the SQLite database file {path} cannot be found: {exc}") from exc
    return found.st_dev, found.st_ino


class Group:
    """Units of work sharing one ``BEGIN IMMEDIATE`` transaction and its COMMIT."""

    def __init__(self) -> None:
        self.units = 0
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # A failed COMMIT is raised to every unit still waiting; with none left, it is not an error.
        self.committed.add_done_callback(lambda done: done.cancelled() or done.exception())


class LoopWriter:
    """One event loop's writer: its connection (opened on the loop's thread), its queue and its group."""

    def __init__(self, engine: WriterSQLiteEngine) -> None:
        self._path = engine.path
        self._connect_kwargs = dict(engine.connection_kwargs)
        # No busy handler: it would sleep on the loop's thread. `_begin` waits for other processes
        # instead, and once the write lock is held WAL mode has nothing to wait for.
        self._connect_kwargs["timeout"] = 0
        # Used by one unit or COMMIT at a time: inline on the loop's thread, COMMIT on `_thread`.
        self._connect_kwargs["check_same_thread"] = False
        self._file: tuple[int, int] | None = None
        self.connection = self._open()
        self._busy_timeout_s = engine.busy_timeout_s
        self._turn = asyncio.Lock()
        self._queued = 0
        self._group: Group | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")
        self._commits: set[asyncio.Task[None]] = set()

    async def enter(self) -> Group:
        """Wait for this unit's turn, join the open group (or begin one) and set its savepoint."""
        self._queued += 1
        try:
            await self._turn.acquire()
        finally:
            self._queued -= 1
        try:
            if self._group is None:
                await self._begin()
                self._group = Group()
            self.connection.execute(f"SAVEPOINT {SAVEPOINT}")
        except BaseException:
            self._turn.release()
            raise
        self._group.units += 1
        return self._group

    def leave(self, group: Group, *, failed: bool) -> None:
        """End this unit: keep or undo its work, then hand the turn on, or commit the group."""
        try:
            if failed:
                self.connection.execute(f"ROLLBACK TO {SAVEPOINT}")
            self.connection.execute(f"RELEASE {SAVEPOINT}")
        except sqlite3.Error as exc:  # the group's transaction can no longer be trusted
            self._group = None
            self.connection.rollback()
            group.committed.set_exception(exc)
            self._turn.release()
            return
        if self._queued and group.units < MAX_GROUP:
            self._turn.release()  # the next unit joins; the last one commits
            return
        self._group = None
        task = asyncio.get_running_loop().create_task(self._commit(group))
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)

    def _open(self) -> sqlite3.Connection:
        """A writer connection to the file at the path, in WAL mode, noting which file that is.

        Raises:
            sqlite3.Error, DatabaseUnavailable: the file is missing, unreadable or not a database.
        """
        connection = sqlite3.connect(**self._connect_kwargs)
        try:
            connection.row_factory = dict_factory
            connection.execute("PRAGMA foreign_keys = 1")
            connection.execute("PRAGMA journal_mode = WAL")
            self._file = file_identity(self._path)
        except BaseException:
            connection.close()
            raise
        return connection

    def _reopen_if_moved(self) -> None:
        """Open the file at the path anew if it is no longer the file the connection has open (or if
        the last attempt to open it failed)."""
        if self._file is not None:
            with contextlib.suppress(DatabaseUnavailable):
                if file_identity(self._path) == self._file:
                    return
            self.connection.close()
            self._file = None
        self.connection = self._open()

    async def _begin(self) -> None:
        """``BEGIN IMMEDIATE``, retried with asyncio sleeps while another process holds the write lock.

        Raises:
            sqlite3.OperationalError: the database stayed locked for the busy timeout, or its file
                cannot be opened.
            DatabaseUnavailable: the database file is gone.
        """
        self._reopen_if_moved()
        deadline = time.monotonic() + self._busy_timeout_s
        pause = FIRST_RETRY_S
        while True:
            try:
                self.connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, LAST_RETRY_S)

    async def _commit(self, group: Group) -> None:
        """COMMIT on the writer's thread, then answer the group's units and hand the turn on."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._thread, self.connection.execute, "COMMIT")
        except BaseException as exc:
            if self.connection.in_transaction:
                self.connection.rollback()
            group.committed.set_exception(exc)
        else:
            group.committed.set_result(None)
        finally:
            self._turn.release()

    def close(self) -> None:
        self._thread.shutdown()
        self.connection.close()


class WriterSQLiteEngine(RunsQueriesInOpenTransaction, SQLiteEngine):
    """Piccolo's SQLite engine (its documented ``connection_kwargs``: the file by a ``mode=rw`` URI,
    `DurableConnection`s, the busy timeout), whose write transactions are units of work on a per-loop
    writer connection, and whose reads outside them run on reader connections kept open."""

    def __init__(self, path: str, *, busy_timeout_s: float) -> None:
        super().__init__(
            path=path,
            database=existing_file_uri(path),
            uri=True,
            factory=DurableConnection,
            timeout=busy_timeout_s,
        )
        self._file_path = path
        self.busy_timeout_s = busy_timeout_s
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopWriter] = (
            weakref.WeakKeyDictionary()
        )
        self._unit: ContextVar[UnitOfWork | None] = ContextVar(f"sqlite_unit_{id(self)}", default=None)
        self._readers: SqliteReaders | None = None

    @property
    def path(self) -> str:
        """The database file (connections open it through `existing_file_uri`)."""
        return self._file_path

    def write_transaction(self) -> UnitOfWork | JoinedUnit:
        """A new unit of work on this loop's writer connection, or the one already open in this context.

        Raises:
            RuntimeError: a transaction of Piccolo's own is open here (its connection is not the writer's).
        """
        unit = self._unit.get()
        if unit is not None:
            return JoinedUnit(unit)
        if self.transaction_exists():
            raise RuntimeError("a write inside a Piccolo transaction: open it with write_transaction()")
        return UnitOfWork(self)

    def open_transaction(self) -> UnitOfWork | None:
        """The unit of work open in this context, if any."""
        return self._unit.get()

    def writer(self) -> LoopWriter:
        """The running loop's writer, opened on first use."""
        loop = asyncio.get_running_loop()
        writer = self._writers.get(loop)
        if writer is None:
            writer = self._writers[loop] = LoopWriter(self)
        return writer

    def close_writer(self) -> None:
        """Close the running loop's writer connection, if it has one (at shutdown)."""
        writer = self._writers.pop(asyncio.get_running_loop(), None)
        if writer is not None:
            writer.close()

    async def run_outside_transaction(self, querystring: QueryString, in_pool: bool) -> Any:
        """A statement that only reads on a reader connection; any other, or one inside a transaction of
        Piccolo's own, as Piccolo runs it."""
        sql, _args = querystring.compile_string(engine_type=self.engine_type)
        if self.transaction_exists() or not reads_only(sql):
            return await super().run_outside_transaction(querystring, in_pool)
        if self._readers is None:
            self._readers = SqliteReaders(self.path, self.connection_kwargs, file_identity)
        return await self.run_with(self._readers.fetch, querystring)

    def close_readers(self) -> None:
        """Close the reader connections, once the reads under way are done (at shutdown; a later read
        opens them again)."""
        readers, self._readers = self._readers, None
        if readers is not None:
            readers.close()


class UnitOfWork:
    """A write transaction on SQLite (see the module docstring). It commits or rolls back as a whole when
    its block ends, and returns from the block only once its COMMIT is on disk."""

    def __init__(self, engine: WriterSQLiteEngine) -> None:
        self._engine = engine
        self._writer: LoopWriter | None = None
        self._group: Group | None = None
        self._token: Token[UnitOfWork | None] | None = None

    async def fetch(self, sql: str, args: Sequence[object]) -> list[Any]:
        """Run one statement (``?`` placeholders) inline on the writer connection; its rows as dicts."""
        if self._writer is None:
            raise RuntimeError("the unit of work is not open")
        return self._writer.connection.execute(sql, tuple(args)).fetchall()

    async def __aenter__(self) -> UnitOfWork:
        writer = self._engine.writer()
        self._group = await writer.enter()
        self._writer = writer
        self._token = self._engine._unit.set(self)
        return self

    async def __aexit__(
        self, exception_type: object, exception: BaseException | None, traceback: object
    ) -> None:
        if self._token is not None:
            self._engine._unit.reset(self._token)
        writer, group = self._writer, self._group
        self._writer = None
        if writer is None or group is None:
            return
        writer.leave(group, failed=exception is not None)
        if exception is None:
            # Answer only once the work is on disk; a cancelled caller leaves the COMMIT running.
            await asyncio.shield(group.committed)


class JoinedUnit:
    """A `write_transaction` inside another: its statements are the open unit's, which commits them."""

    def __init__(self, unit: UnitOfWork) -> None:
        self._unit = unit

    async def __aenter__(self) -> UnitOfWork:
        return self._unit

    async def __aexit__(self, *_exc_info: object) -> None:
        return None
