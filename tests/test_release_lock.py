"""Releases started together queue on the release lock: the first migrates, the others find nothing left
to do, and all succeed, on both engines."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import sys
from pathlib import Path

import anyio
import asyncpg
import pytest

import api.__main__ as operator_commands
from api.database import code_migrations
from api.settings import Settings
from inventory.persistence import RELEASE_LOCK_KEY, release_lock, sqlite_path
from tests.conftest import ROOT, migrate, test_settings
from tests.test_migrations import CONSTRAINT_INDEXES, database_columns, database_schema, model_columns

RELEASES = 3
BOUND_S = 120
"""Longest a test waits for a release process: a bound against hanging, not a measure of speed."""


def release_command(url: str) -> tuple[list[str], dict[str, str]]:
    """``python -m api migrate`` against ``url``, as the Procfile's release process runs it."""
    return [sys.executable, "-m", "api", "migrate"], {**os.environ, "DATABASE_URL": url}


async def recorded_migrations(url: str) -> list[tuple[str, str]]:
    """Every row of Piccolo's ``migration`` table, duplicates kept; none if the database, or the table,
    is not there yet."""
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            return []
        connection = sqlite3.connect(path)
        try:
            if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'migration'").fetchone():
                return []
            return sorted(connection.execute("SELECT app_name, name FROM migration").fetchall())
        finally:
            connection.close()
    connection = await asyncpg.connect(url)
    try:
        if await connection.fetchval("SELECT to_regclass('migration')") is None:
            return []
        return sorted(tuple(row) for row in await connection.fetch("SELECT app_name, name FROM migration"))
    finally:
        await connection.close()


async def lock_is_free(url: str) -> bool:
    """Whether another process could take the release lock now (tried and given back at once)."""
    path = sqlite_path(url)
    if path is not None:
        lock_file = path.with_name(path.name + ".migrate.lock")
        if not lock_file.exists():
            return True
        descriptor = os.open(lock_file, os.O_RDONLY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(descriptor)  # closing releases a lock it took
        return True
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval("SELECT pg_try_advisory_lock($1)", RELEASE_LOCK_KEY)
    finally:
        await connection.close()  # the session's end releases a lock it took


async def assert_fully_migrated(url: str) -> None:
    """Every table and column of the models, the constraint indexes, and each migration of the code
    recorded exactly once."""
    columns, indexes = await database_columns(url)
    assert columns == model_columns()
    assert indexes >= CONSTRAINT_INDEXES
    assert await recorded_migrations(url) == sorted(code_migrations())


@pytest.fixture
def migrated_once_url(empty_database_url: str, request: pytest.FixtureRequest, sqlite_template: Path) -> str:
    """A database of the same engine as ``empty_database_url``, migrated by a single release."""
    if empty_database_url.startswith("sqlite"):
        return f"sqlite:///{sqlite_template}"
    return request.getfixturevalue("postgres_database")


async def test_releases_started_together_all_succeed_and_migrate_once(empty_database_url, migrated_once_url):
    command, env = release_command(empty_database_url)
    processes = [
        await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        for _ in range(RELEASES)
    ]
    async with asyncio.timeout(BOUND_S):
        outputs = [(await process.communicate())[0].decode() for process in processes]

    assert [process.returncode for process in processes] == [0] * RELEASES, "\n\n".join(outputs)
    await assert_fully_migrated(empty_database_url)
    # The same schema, object for object, as a database migrated by a single release.
    schema = await database_schema(empty_database_url)
    assert schema == await database_schema(migrated_once_url)

    migrate(empty_database_url)  # one more release: nothing left to apply
    assert await database_schema(empty_database_url) == schema
    assert await lock_is_free(empty_database_url)


async def test_a_release_waits_for_the_one_holding_the_lock(empty_database_url):
    command, env = release_command(empty_database_url)
    async with release_lock(empty_database_url):
        process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        try:
            assert process.stderr is not None
            async with asyncio.timeout(BOUND_S):
                notice = await process.stderr.readline()
            assert b"waiting" in notice, notice
            assert process.returncode is None
            assert await recorded_migrations(empty_database_url) == []  # it applied nothing meanwhile
        except BaseException:
            if process.returncode is None:
                process.kill()
            await process.communicate()
            raise
    async with asyncio.timeout(BOUND_S):
        _, rest = await process.communicate()
    assert process.returncode == 0, rest.decode()
    await assert_fully_migrated(empty_database_url)
    assert await lock_is_free(empty_database_url)


class ReleaseFailed(Exception):
    def __init__(self, waiting: asyncio.Task[None]) -> None:
        self.waiting = waiting


async def test_the_lock_admits_one_holder_and_is_released_when_its_block_fails(empty_database_url):
    waited = asyncio.Event()
    entered: list[str] = []

    async def second() -> None:
        async with release_lock(empty_database_url, on_wait=waited.set):
            entered.append("second")

    async def first_fails() -> None:
        async with release_lock(empty_database_url):
            assert not await lock_is_free(empty_database_url)
            waiting = asyncio.create_task(second())
            async with asyncio.timeout(BOUND_S):
                await waited.wait()
            assert entered == []
            raise ReleaseFailed(waiting)

    with pytest.raises(ReleaseFailed) as failed:
        await first_fails()
    async with asyncio.timeout(BOUND_S):
        await failed.value.waiting
    assert entered == ["second"]
    assert await lock_is_free(empty_database_url)


async def test_every_release_step_runs_inside_the_lock_and_a_failure_stops_the_rest(
    empty_database_url, monkeypatch
):
    ran: list[str] = []

    async def first(settings: Settings) -> int:
        ran.append(f"first, lock free: {await lock_is_free(settings.database_url)}")
        return 0

    async def failing(_settings: Settings) -> int:
        ran.append("failing")
        return 3

    async def never(_settings: Settings) -> int:
        ran.append("never")
        return 0

    monkeypatch.setattr(operator_commands, "RELEASE_STEPS", (first, failing, never))
    assert await operator_commands._release(test_settings(empty_database_url)) == 3

    assert ran == ["first, lock free: False", "failing"]
    assert await lock_is_free(empty_database_url)


@pytest.mark.postgres
async def test_the_advisory_lock_has_the_documented_key_in_its_own_database(postgres_url):
    async with release_lock(postgres_url):
        connection = await asyncpg.connect(postgres_url)
        try:
            held = await connection.fetch(
                "SELECT classid, objid, objsubid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        finally:
            await connection.close()
    assert (1399873906, 1701603694, 1) in [tuple(row) for row in held]
    assert int.from_bytes(b"Sparelin") == RELEASE_LOCK_KEY


async def test_the_sqlite_lock_file_sits_next_to_the_database(tmp_path):
    database = anyio.Path(tmp_path / "deep" / "spareline.sqlite3")
    async with release_lock(f"sqlite:///{database}"):
        assert await anyio.Path(f"{database}.migrate.lock").exists()
    assert not await database.exists()  # the lock creates no database
