"""A retry replaying a stored answer is answered only once the write it replays is durable.

An audited PostgreSQL write commits without waiting for its log flush and waits for a shared flush
afterwards; a retry with the same ``Idempotency-Key`` that arrives in between must not answer first.
Shown on a private cluster whose flushes are slow (``commit_delay``, standing in for a slow disk, with
the background WAL writer idle for as long as PostgreSQL allows): as soon as the replayed answer
arrives, every process of the cluster is killed with SIGKILL; after crash recovery the write is there.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.domain_context import domain_context
from inventory.accounts import Role, create_user
from tests.api.conftest import PASSWORD, login
from tests.conftest import REQUIRE_POSTGRES, migrate, test_settings
from tests.private_postgres import PrivateCluster, unavailable_reason

pytestmark = pytest.mark.postgres

SLOW_DISK = {"commit_delay": "100000", "commit_siblings": "0", "wal_writer_delay": "'10s'"}
"""A flush waits 100 ms before it writes (set after migrating, which it would slow down); the WAL
writer runs every 10 s, so only the flushes that commits ask for reach the disk in the test's window."""


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    """A private cluster with the service's schema in its ``spareline`` database, and slow flushes."""
    reason = unavailable_reason()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(f"REQUIRE_POSTGRES=1 but a private PostgreSQL cannot run: {reason}")
        pytest.skip(f"private PostgreSQL unavailable: {reason}")
    cluster = PrivateCluster()
    try:
        cluster.init()
        cluster.start()
        asyncio.run(_admin(cluster.url(), "CREATE DATABASE spareline"))
        migrate(cluster.url("spareline"))
        for name, value in SLOW_DISK.items():
            asyncio.run(_admin(cluster.url(), f"ALTER SYSTEM SET {name} = {value}"))
        asyncio.run(_admin(cluster.url(), "SELECT pg_reload_conf()"))
        yield cluster
    finally:
        cluster.remove()


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=30)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def test_a_replayed_answer_survives_a_crash_right_after_it(cluster: PrivateCluster) -> None:
    settings = test_settings(cluster.url("spareline"), pg_pool_min_size=1, pg_pool_max_size=6)
    app = create_app(settings)
    receipt = {
        "depot": "PEK-C",
        "supplier": "OEM",
        "reference": "DN-CRASH",
        "lines": [{"part_number": "CBL-1", "quantity": 7, "batch_number": "L1"}],
    }
    replayed: httpx.Response | None = None
    async with (
        asyncio.timeout(120),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        async with app.lifespan():
            with domain_context(app).entered():
                warehouse = await _stocked_catalogue(client, settings)
            headers = {**warehouse, "Idempotency-Key": "crash-1"}
            posts = [
                asyncio.create_task(client.post("/api/v1/stock/receipts", json=receipt, headers=headers))
                for _ in range(2)
            ]
            for answered in asyncio.as_completed(posts):
                response = await answered
                if response.headers.get("idempotency-replayed") == "true":
                    cluster.crash()  # at once: nothing runs on this loop meanwhile
                    replayed = response
                    break
            for post in posts:  # the other one fails with the crash, or had answered
                with contextlib.suppress(Exception):
                    await post
        assert replayed is not None
        assert replayed.status_code == 201, replayed.text

        cluster.start()
        connection = await asyncpg.connect(cluster.url("spareline"), timeout=30)
        try:
            receipt_id = replayed.json()["id"]
            kept = await connection.fetchval("SELECT count(*) FROM receipt WHERE id = $1", receipt_id)
            answer = await connection.fetchval(
                "SELECT status_code FROM idempotency_record WHERE key = 'crash-1'"
            )
        finally:
            await connection.close()
    assert (kept, answer) == (1, 201)


async def _stocked_catalogue(client: httpx.AsyncClient, settings) -> dict[str, str]:
    """A depot and a bulk part, made by an admin; returns a warehouse user's headers."""
    passwords = settings.passwords()
    for role in (Role.ADMIN, Role.WAREHOUSE):
        await create_user(
            username=role.value,
            password=PASSWORD,
            role=role,
            customer=None,
            passwords=passwords,
            now=datetime.now(UTC),
        )
    admin = await login(client, Role.ADMIN.value)
    depot = {
        "code": "PEK-C",
        "name": "Beijing",
        "kind": "central",
        "latitude": 39.9,
        "longitude": 116.4,
        "timezone": "Asia/Shanghai",
    }
    part = {
        "part_number": "CBL-1",
        "description": "cable",
        "category": "cabling",
        "serialized": False,
        "secure_media": False,
        "unit_cost": "1.50",
        "weight_kg": 0.1,
        "volume_l": 0.1,
    }
    for path, body in (("/api/v1/depots", depot), ("/api/v1/parts", part)):
        response = await client.post(path, json=body, headers=admin)
        assert response.status_code == 201, response.text
    return await login(client, Role.WAREHOUSE.value)
