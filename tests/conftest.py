"""Shared fixtures: migrated databases on both engines, the app, a client and role tokens.

SQLite: the migrations run once per session into a template file, copied into each worker's database
file before each test. PostgreSQL: one database per run (unique name, dropped at the end), migrated once
and emptied before each test. Without a PostgreSQL server those tests skip, unless REQUIRE_POSTGRES=1
makes them fail.

The application of the default test settings is built once per database and worker, and reused by the
tests after emptying what it remembers (its signed-in users, its clock's time): building one registers
some 450 routes, most of a short test's time. A test that changes its application (registers routes,
alters its state) asks for one of its own with ``@pytest.mark.own_app``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import Litestar

from api.app import create_app
from api.database import all_tables
from api.domain_context import DomainContext, domain_context
from api.security import PRINCIPALS_KEY
from api.settings import Settings
from api.solves import SOLVE_QUEUE_KEY, InProcessSolves
from inventory.audit_chain import GENESIS
from inventory.persistence.sqlite_writer import WriterSQLiteEngine
from inventory.secure_media.piccolo_migrations import (
    secure_media_2026_12_27t10_00_01_000000 as default_policies,
)

ROOT = Path(__file__).resolve().parent.parent
BROWSER_SUITE = Path(__file__).resolve().parent / "browser"
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
QUEUE_TABLES = (
    "procrastinate_jobs",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
    "procrastinate_events",
)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The browser suite (tests/browser) runs only when asked for by its path (``make test-browser``),
    in a pytest run of its own: Playwright's sync API and this suite's asyncio mode do not mix."""
    if collection_path != BROWSER_SUITE:
        return None
    asked = [Path(str(arg).split("::")[0]).resolve() for arg in config.args]
    return not any(path == BROWSER_SUITE or BROWSER_SUITE in path.parents for path in asked)


def migrate(database_url: str) -> None:
    """Apply every migration to ``database_url`` exactly as ``make migrate`` does."""
    result = subprocess.run(
        [sys.executable, "-m", "api", "migrate"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def rerun_migration(database_url: str, migration_id: str) -> None:
    """Forget that a migration ran and migrate again: what a database written before it goes through."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            with connection:
                connection.execute("DELETE FROM migration WHERE name = ?", (migration_id,))
        finally:
            connection.close()
    else:
        pg = await asyncpg.connect(database_url)
        try:
            await pg.execute("DELETE FROM migration WHERE name = $1", migration_id)
        finally:
            await pg.close()
    migrate(database_url)


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float = 90, every_s: float = 0.05
) -> None:
    """Wait until ``check()`` is true, checking every ``every_s``; TimeoutError after ``timeout_s`` (a
    generous bound for a shared machine, never a measure of speed)."""
    async with asyncio.timeout(timeout_s):
        while True:
            if await check():
                return
            await asyncio.sleep(every_s)


TEST_DOCUMENTS = Path(tempfile.gettempdir()) / "spareline-test-documents"
"""The tests' document folder: documents are stored under their hash, so tests may share it."""


def test_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for a test: cheap password hashing, no login throttling."""
    values: dict[str, object] = {
        "environment": "test",
        "database_url": database_url,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "argon2_parallelism": 1,
        "login_attempts_per_minute": 100_000,
        "login_attempts_per_username_per_minute": 100_000,
        "sweep_interval_s": 0,
        "log_level": "WARNING",
        "document_folder": TEST_DOCUMENTS,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


test_settings.__test__ = False  # type: ignore[attr-defined]


@contextmanager
def in_domain(settings: Settings) -> Iterator[DomainContext]:
    """The domain context of an application built with ``settings``, in use in this block: for tests
    that call services and tables directly, as the application's requests and background tasks do."""
    with DomainContext.from_settings(settings).entered() as domain:
        yield domain


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


def _postgres_reachable() -> str | None:
    async def probe() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}"
    return None


def _admin(statement: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def _create_postgres_database() -> str:
    """A new, empty PostgreSQL database with a unique name; the test skips without a server (fails
    under REQUIRE_POSTGRES=1)."""
    problem = _postgres_reachable()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    name = f"spareline_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    return name


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A migrated PostgreSQL database for this run; dropped afterwards."""
    name = _create_postgres_database()
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate(url)
        yield url
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


RESTART_SEQUENCES = (
    "SELECT setval(s.oid::regclass, 1, false) FROM pg_class s "
    "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
    "JOIN pg_class t ON t.oid = d.refobjid "
    "WHERE s.relkind = 'S' AND t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1::text[])"
)
"""The sequences of the tables' ids (those the tables own), as ``TRUNCATE ... RESTART IDENTITY`` does."""


def _empty_postgres(url: str) -> None:
    # audit_pending: the PostgreSQL queue of the audit chain, outside the models (see the audit migrations);
    # the job queue's tables (Procrastinate's schema, applied by the migrate command).
    # DELETE rather than TRUNCATE: a test leaves a few rows in a few tables, and TRUNCATE gives each of the
    # tables and indexes a new file (half a second a test); the sequences start again at 1 as they would.
    tables = [*(table._meta.tablename for table in all_tables()), "audit_pending", *QUEUE_TABLES]
    emptying = "; ".join(f'DELETE FROM "{table}"' for table in tables)

    async def run() -> None:
        connection = await asyncpg.connect(url)
        try:
            # The audit tables refuse deletes through triggers, and foreign keys are triggers too; a
            # superuser session may skip them all while it empties every table.
            async with connection.transaction():
                await connection.execute("SET LOCAL session_replication_role = replica")
                await connection.execute(emptying)
                await connection.execute(RESTART_SEQUENCES, tables)
                await connection.execute(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS}')")
                for statement in default_policies.policy_rows():  # data the migrations seed
                    await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """This worker's SQLite database file (its contents restored from the template before each test)."""
    path = tmp_path_factory.mktemp("database") / "spareline.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return path


def restore_sqlite(template: Path, path: Path) -> None:
    """Make ``path`` a copy of ``template`` in place, with SQLite's backup, so that connections still
    open on it see the copy; a file a test removed or broke is copied anew."""
    try:
        with (
            contextlib.closing(sqlite3.connect(template)) as source,
            contextlib.closing(sqlite3.connect(path)) as target,
        ):
            source.backup(target)
    except sqlite3.Error:
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(template, path)
        _SHARED_APPS.pop(f"sqlite:///{path}", None)


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, sqlite_template: Path) -> str:
    """A fresh, migrated, empty database on each engine."""
    if request.param == "sqlite":
        path = request.getfixturevalue("sqlite_database")
        restore_sqlite(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    _empty_postgres(url)
    return url


@pytest.fixture(params=ENGINES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database never migrated, on each engine: an SQLite file not yet created (nor its folder), or a
    PostgreSQL database just created (unique name, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'spareline.sqlite3'}"
        return
    name = _create_postgres_database()
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated, empty SQLite database (for tests that need only one engine)."""
    path = tmp_path / "spareline.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The run's PostgreSQL database, emptied (for tests that need only PostgreSQL)."""
    _empty_postgres(postgres_database)
    return postgres_database


@pytest.fixture
def settings(database_url: str) -> Settings:
    return test_settings(database_url)


class SettableClock:
    """The app's clock in tests: real time until a test sets ``now``."""

    def __init__(self) -> None:
        self.now: datetime | None = None

    def __call__(self) -> datetime:
        return self.now or datetime.now(UTC)


_CLOCK = SettableClock()
"""The clock of every test (real time again at the start of each): the shared applications' clock."""
MAX_SHARED_APPS = 4
"""Applications kept at most (the oldest is let go): a worker's databases are a handful."""
_SHARED_APPS: dict[str, Litestar] = {}
"""The application of the default test settings, per database URL (see the module)."""


@pytest.fixture
def clock() -> SettableClock:
    _CLOCK.now = None
    return _CLOCK


def _shared_app(settings: Settings, clock: SettableClock) -> Litestar:
    """The worker's application for ``settings``, its signed-in users forgotten; built anew when a test
    left solves running in it."""
    app = _SHARED_APPS.get(settings.database_url)
    solves = None if app is None else app.state.get(SOLVE_QUEUE_KEY)
    if app is None or (isinstance(solves, InProcessSolves) and solves.running):
        if len(_SHARED_APPS) >= MAX_SHARED_APPS:
            _SHARED_APPS.pop(next(iter(_SHARED_APPS)))
        app = _SHARED_APPS[settings.database_url] = create_app(settings, clock=clock)
    app.state[PRINCIPALS_KEY].clear()
    return app


@pytest.fixture
async def app(
    request: pytest.FixtureRequest, settings: Settings, clock: SettableClock
) -> AsyncIterator[Litestar]:
    """The application; its domain context is in use for the test, so that the test and its fixtures
    may call services and tables directly. At the end, its SQLite connections of this test's event loop
    are closed."""
    own = request.node.get_closest_marker("own_app") is not None
    if own or settings != test_settings(settings.database_url):
        app = create_app(settings, clock=clock)
    else:
        app = _shared_app(settings, clock)
    with domain_context(app).entered():
        yield app
    engine = domain_context(app).store.engine
    if isinstance(engine, WriterSQLiteEngine):
        engine.close_writer()
        engine.close_readers()


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling ``app`` in this event loop, with the app's lifespan running.

    The lifespan runs in a task of its own because it must start and stop in the same task, while a
    fixture's set-up and tear-down may run in different ones.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    lifespan = asyncio.create_task(run_lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait([lifespan, waiter], return_when=asyncio.FIRST_COMPLETED)
    if lifespan.done():
        waiter.cancel()
        lifespan.result()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
            yield test_client
    finally:
        stop.set()
        await lifespan


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in this test's event loop, with the app's lifespan running."""
    async with serving(app) as test_client:
        yield test_client
