"""A database that goes away is a 503 with ``Retry-After`` and a problem document, on every route and
within the configured timeouts, never a 500 or a hang; and the service recovers once it is back.

SQLite: a file locked by another connection, missing, or not a database. PostgreSQL: a database
dropped under the running service, a server refusing connections, a network swallowing every packet,
and a pool with no free connection.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.domain_context import domain_context
from api.settings import Settings
from inventory.accounts import Role, create_user
from inventory.persistence import current_engine
from tests.api.conftest import PASSWORD, login
from tests.conftest import POSTGRES_ADMIN_URL, migrate, test_settings
from tests.tcp_proxy import ThreadedTcpProxy

BOUND_S = 60
"""Generous bound on any one step: a hang (the defect) would exceed it, a slow machine would not."""
SHORT = {
    "sqlite_busy_timeout_s": 0.2,
    "pg_connect_timeout_s": 1,
    "pg_statement_timeout_s": 1,
    "pg_acquire_timeout_s": 1,
}
DEPOT = {
    "code": "PEK-C",
    "name": "Beijing",
    "kind": "central",
    "latitude": 39.9,
    "longitude": 116.4,
    "timezone": "Asia/Shanghai",
}


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """The app on ``settings`` with its lifespan running, a client, and an admin's headers (the app's
    domain context in use meanwhile)."""
    app = create_app(settings)
    with domain_context(app).entered():
        async with (
            asyncio.timeout(BOUND_S * 4),
            app.lifespan(),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
        ):
            await add_admin(settings)
            yield client, await login(client, "admin")


async def add_admin(settings: Settings) -> None:
    await create_user(
        username="admin",
        password=PASSWORD,
        role=Role.ADMIN,
        customer=None,
        passwords=settings.passwords(),
        now=datetime.now(UTC),
    )


async def assert_unavailable(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    """Reads, writes, logins and readiness all answer 503 with Retry-After; the API ones as problems."""
    async with asyncio.timeout(BOUND_S):
        answers = [
            await client.get("/api/v1/depots", headers=auth),
            await client.post("/api/v1/depots", json=DEPOT, headers=auth),
            await client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}),
        ]
        ready = await client.get("/health/ready")
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["retry-after"]) > 0
        problem = answer.json()
        assert problem["status"] == 503
        assert problem["type"].startswith("urn:spareline:problem:database-")
    assert ready.status_code == 503
    assert int(ready.headers["retry-after"]) > 0
    assert ready.json()["type"] == "urn:spareline:problem:not-ready"


async def assert_recovered(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    """Readiness comes back, then reads and writes work again."""
    await until_ready(client)
    async with asyncio.timeout(BOUND_S):
        assert (await client.get("/api/v1/depots", headers=auth)).status_code == 200
        created = await client.post("/api/v1/depots", json=DEPOT, headers=auth)
    assert created.status_code == 201, created.text


async def until_ready(client: httpx.AsyncClient) -> None:
    async with asyncio.timeout(BOUND_S):
        for _ in range(BOUND_S * 100):
            if (await client.get("/health/ready")).status_code == 200:
                return
            await asyncio.sleep(0.1)


# --- SQLite ---------------------------------------------------------------------------------------


async def test_a_locked_sqlite_file_is_503_for_writes_while_reads_go_on(sqlite_url):
    async with running(test_settings(sqlite_url, **SHORT)) as (client, auth):
        other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            async with asyncio.timeout(BOUND_S):
                write = await client.post("/api/v1/depots", json=DEPOT, headers=auth)
                read = await client.get("/api/v1/depots", headers=auth)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert write.status_code == 503, write.text
        assert write.headers["content-type"] == "application/problem+json"
        assert write.headers["retry-after"] == "1"
        assert write.json()["type"].endswith("database-busy")
        assert read.status_code == 200  # WAL: readers are not held up by a writer
        await assert_recovered(client, auth)


@pytest.mark.parametrize("damage", ["moved away", "not a database"])
async def test_a_missing_or_unreadable_sqlite_file_is_503_until_it_is_back(sqlite_url, damage):
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    away = path.with_name("away.sqlite3")
    async with running(test_settings(sqlite_url, **SHORT)) as (client, auth):
        await client.get("/api/v1/depots", headers=auth)
        os.replace(path, away)
        if damage == "not a database":
            shutil.copyfile(Path(__file__), path)  # a text file where the database was
        await assert_unavailable(client, auth)
        os.replace(away, path)
        await assert_recovered(client, auth)


async def test_a_service_started_without_its_sqlite_file_does_not_create_it(tmp_path, sqlite_template):
    path = tmp_path / "later.sqlite3"
    settings = test_settings(f"sqlite:///{path}", **SHORT)
    app = create_app(settings)
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        async with asyncio.timeout(BOUND_S):
            login_answer = await client.post("/api/v1/auth/token", json={"username": "a", "password": "b"})
            ready = await client.get("/health/ready")
        assert login_answer.status_code == 503, login_answer.text
        assert login_answer.json()["type"].endswith("database-unavailable")
        assert ready.status_code == 503
        assert not path.exists()

        shutil.copyfile(sqlite_template, path)
        with domain_context(app).entered():
            await add_admin(settings)
        await assert_recovered(client, await login(client, "admin"))


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.fixture
async def proxy(postgres_url) -> AsyncIterator[ThreadedTcpProxy]:
    """A proxy in front of the test PostgreSQL server."""
    server = urlparse(postgres_url)
    proxy = ThreadedTcpProxy(server.hostname or "127.0.0.1", server.port or 5432)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


def through(proxy: ThreadedTcpProxy, url: str) -> str:
    """``url`` with the proxy's address in place of the server's."""
    parsed = urlparse(url)
    return parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{proxy.port}").geturl()


@pytest.mark.postgres
async def test_a_database_dropped_under_the_service_is_503_until_it_is_back(postgres_database):
    name = f"{postgres_database.rsplit('/', 1)[1]}_dropped"
    url = postgres_database.rsplit("/", 1)[0] + f"/{name}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        migrate(url)
        async with running(test_settings(url, **SHORT)) as (client, auth):
            await _admin(f'DROP DATABASE "{name}" WITH (FORCE)')
            await assert_unavailable(client, auth)

            await _admin(f'CREATE DATABASE "{name}"')
            await asyncio.to_thread(migrate, url)
            await until_ready(client)
            await add_admin(test_settings(url))
            await assert_recovered(client, await login(client, "admin"))
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
async def test_refused_connections_are_503_until_the_server_listens_again(postgres_url, proxy):
    async with running(test_settings(through(proxy, postgres_url), **SHORT)) as (client, auth):
        await proxy.refuse()
        await assert_unavailable(client, auth)
        await proxy.start()
        await assert_recovered(client, auth)


@pytest.mark.postgres
async def test_a_network_swallowing_packets_is_503_within_the_timeouts(postgres_url, proxy):
    async with running(test_settings(through(proxy, postgres_url), **SHORT)) as (client, auth):
        await proxy.black_hole()
        await assert_unavailable(client, auth)
        await proxy.heal()
        await assert_recovered(client, auth)


@pytest.mark.postgres
async def test_no_free_connection_within_the_acquire_timeout_is_503(postgres_url):
    settings = test_settings(postgres_url, **SHORT, pg_pool_min_size=1, pg_pool_max_size=1)
    async with running(settings) as (client, auth):
        async with current_engine().pool.acquire():
            async with asyncio.timeout(BOUND_S):
                answer = await client.get("/api/v1/depots", headers=auth)
        assert answer.status_code == 503, answer.text
        assert answer.json()["type"].endswith("database-unavailable")
        await assert_recovered(client, auth)


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=30)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
