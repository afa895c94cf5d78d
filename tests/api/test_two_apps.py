"""Two applications with different settings serve side by side in one process and one event loop, each
with only its own database, secret, audit keys, calendar overrides, page size and login limits (counted in
its own database), in its requests and in its background sweep alike; building the second changes nothing
for the first. Two applications on the same database share their login counts:
tests/api/test_login_throttle.py."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from api.app import create_app
from api.domain_context import domain_context
from api.settings import Settings
from inventory.accounts import Role, create_user
from inventory.persistence import NoStoreInUse
from inventory.stock.tables import Depot
from tests.api.conftest import PASSWORD, login
from tests.api.service_world import local
from tests.conftest import test_settings

REPORTED = local(2026, 11, 24, 10)
"""A Tuesday, a working day in China, and a holiday in the calendar overrides of application A."""
NOW = local(2026, 11, 24, 10, 5)


@dataclass
class Served:
    settings: Settings
    client: httpx.AsyncClient
    admin: dict[str, str]


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Served]:
    """An application on ``settings``, its lifespan running (background sweep included), an HTTP client,
    and an admin's headers. Only the admin is made outside a request, in the application's context."""
    app = create_app(settings, clock=lambda: NOW)
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        await add_admin(app, settings)
        yield Served(settings, client, await login(client, "admin"))


async def add_admin(app: Litestar, settings: Settings) -> None:
    with domain_context(app).entered():
        await create_user(
            username="admin",
            password=PASSWORD,
            role=Role.ADMIN,
            customer=None,
            passwords=settings.passwords(),
            now=datetime.now(UTC),
        )


async def business_ticket(served: Served) -> dict:
    """A business-hours customer with a site in China, and a ticket reported at `REPORTED`."""
    admin = served.admin
    customer = {
        "code": "STD",
        "name": "Standard Corp",
        "tier": "standard",
        "delivery_service": "nbd",
        "support_hours": "business",
        "secure_media_retention": False,
    }
    site = {
        "code": "BJ-OFFICE",
        "name": "Beijing office",
        "address": "street 1",
        "latitude": 39.915,
        "longitude": 116.404,
        "timezone": "Asia/Shanghai",
        "calendar_region": "CN",
    }
    ticket = {
        "customer": "STD",
        "site": "BJ-OFFICE",
        "severity": "critical",
        "summary": "disk failed",
        "reported_at": REPORTED.isoformat(),
    }
    for path, body in (("/api/v1/customers", customer), ("/api/v1/customers/STD/sites", site)):
        assert (await served.client.post(path, json=body, headers=admin)).status_code == 201
    response = await served.client.post("/api/v1/tickets", json=ticket, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def response_due(ticket: dict) -> datetime:
    return datetime.fromisoformat(ticket["sla"]["response"]["due_at"].replace("Z", "+00:00"))


async def signed_checkpoints(served: Served) -> dict:
    """The application's checkpoint export once its background sweep has signed one."""
    async with asyncio.timeout(30):
        while True:
            export = (await served.client.get("/api/v1/audit/checkpoints", headers=served.admin)).json()
            if export["checkpoints"]:
                return export
            await asyncio.sleep(0.02)


@pytest.fixture
def two_settings(database_url: str, tmp_path: Path, sqlite_template: Path) -> tuple[Settings, Settings]:
    """A: an SQLite file of its own, with a holiday on 24 November 2026, pages of 1 and a login throttle
    of 3 a minute. B: the test's database (SQLite or PostgreSQL), pages of 2, no throttle to speak of.
    Different secrets and audit keys; each sweeps often and checkpoints at every entry."""
    path = tmp_path / "a.sqlite3"
    shutil.copyfile(sqlite_template, path)
    overrides = tmp_path / "overrides.json"
    overrides.write_text(json.dumps({"CN": {"holidays": ["2026-11-24"]}}))
    # The periodic jobs in each web process (the default on SQLite), so that each app's own ones show.
    common = {"sweep_interval_s": 0.02, "audit_checkpoint_every_entries": 1, "background": "in-process"}
    a = test_settings(
        f"sqlite:///{path}",
        secret_key="a" * 40,
        audit_signing_key="1a" * 32,
        calendar_overrides_file=str(overrides),
        default_page_size=1,
        login_attempts_per_minute=3,
        **common,
    )
    b = test_settings(
        database_url, secret_key="b" * 40, audit_signing_key="2b" * 32, default_page_size=2, **common
    )
    return a, b


async def add_depot(served: Served, code: str) -> None:
    depot = {
        "code": code,
        "name": code,
        "kind": "central",
        "latitude": 39.9,
        "longitude": 116.4,
        "timezone": "Asia/Shanghai",
    }
    created = await served.client.post("/api/v1/depots", json=depot, headers=served.admin)
    assert created.status_code == 201, created.text


async def test_two_apps_with_different_settings_serve_side_by_side(two_settings):
    settings_a, settings_b = two_settings
    async with serving(settings_a) as a:
        await add_depot(a, "DEPOT-A")
        async with serving(settings_b) as b:  # built and started while A serves
            await add_depot(b, "DEPOT-B")
            # Calendars: A's holiday moves its deadline to the next working day; B's stays that morning.
            ticket_a, ticket_b = await asyncio.gather(business_ticket(a), business_ticket(b))
            assert response_due(ticket_a) == local(2026, 11, 25, 10)
            assert response_due(ticket_b) == local(2026, 11, 24, 11)

            # Databases, page sizes and secrets, with requests to both interleaved on the loop.
            answers = await asyncio.gather(
                *(
                    served.client.get("/api/v1/depots", headers=served.admin)
                    for _ in range(10)
                    for served in (a, b)
                )
            )
            for n, answer in enumerate(answers):
                assert answer.status_code == 200, answer.text
                page = answer.json()
                codes = [depot["code"] for depot in page["items"]]
                assert (page["limit"], codes) == ((1, ["DEPOT-A"]) if n % 2 == 0 else (2, ["DEPOT-B"]))
            foreign = await asyncio.gather(
                a.client.get("/api/v1/depots", headers=b.admin),
                b.client.get("/api/v1/depots", headers=a.admin),
            )
            assert [answer.status_code for answer in foreign] == [401, 401]

            # Audit keys: each background sweep signs its own chain with its own key, and each chain
            # verifies with its own keys.
            export_a, export_b = await asyncio.gather(signed_checkpoints(a), signed_checkpoints(b))
            assert export_a["public_key"] == settings_a.audit_keys().public_key_hex
            assert export_b["public_key"] == settings_b.audit_keys().public_key_hex
            assert export_a["key_id"] != export_b["key_id"]
            verified = await asyncio.gather(
                a.client.get("/api/v1/audit/verify", headers=a.admin),
                b.client.get("/api/v1/audit/verify", headers=b.admin),
            )
            assert [answer.json()["chain_valid"] for answer in verified] == [True, True]

            # Login throttles: A refuses its fourth sign-in of the minute; B, in between, none.
            credentials = {"username": "admin", "password": PASSWORD}
            statuses: dict[str, list[int]] = {"a": [], "b": []}
            for _ in range(3):
                a_answer, b_answer = await asyncio.gather(
                    a.client.post("/api/v1/auth/token", json=credentials),
                    b.client.post("/api/v1/auth/token", json=credentials),
                )
                statuses["a"].append(a_answer.status_code)
                statuses["b"].append(b_answer.status_code)
            assert statuses == {"a": [200, 200, 429], "b": [200, 200, 200]}

    # Outside the applications' requests and tasks, no database is in use at all.
    with pytest.raises(NoStoreInUse):
        await Depot.count()
