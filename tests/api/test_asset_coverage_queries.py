"""Listing assets with their coverage costs a fixed number of statements per page, not a few per asset,
and gives each asset the coverage it has on its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from inventory.customers.tables import Asset
from inventory.persistence import current_engine
from inventory.tickets import coverage
from tests.api.service_world import build, local, open_ticket

EXTRA_ASSETS = 8


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements Piccolo runs meanwhile, from its ``log_queries`` option (each statement is
    handed to the engine's ``print_query`` before it runs)."""
    engine = current_engine()
    seen: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "log_queries", True)
        patch.setattr(type(engine), "print_query", lambda _engine, query_id, query: seen.append(query))
        yield seen
    if not seen:
        pytest.fail(
            "no statement reached the engine's print_query with log_queries set: the installed Piccolo "
            "no longer reports its statements that way, so this test must count them another way"
        )


@pytest.fixture
async def assets(client, world, clock):
    """The service world's four assets, eight more of PLAT's, and tickets on some of them: restored (their
    downtime extends the warranty), user-caused (it does not) and open (counting up to now)."""
    clock.now = local(2026, 11, 24, 10)
    sworld = await build(client, world)
    admin = world.headers["admin"]
    for i in range(EXTRA_ASSETS):
        response = await client.post(
            "/api/v1/assets",
            json={
                "serial": f"SRV-PLAT-X{i}",
                "model": "R2-G4 server",
                "customer": "PLAT",
                "site": "BJ-DC1",
                "accepted_on": "2024-02-29",
                "warranty_years": 1,
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text
    for i, user_caused in ((0, False), (1, True), (2, False), (5, False)):
        assets = {**sworld.assets, "PLAT": f"SRV-PLAT-X{i}"}
        ticket = await open_ticket(
            client,
            sworld.__class__(stock=sworld.stock, assets=assets),
            "PLAT",
            reported_at=(clock.now - timedelta(days=30 + i)).isoformat(),
            user_caused=user_caused,
        )
        if i != 5:
            restored = await client.post(
                f"/api/v1/tickets/{ticket['id']}/events",
                json={"type": "restored", "at": (clock.now - timedelta(days=20)).isoformat()},
                headers=sworld.headers["dispatcher"],
            )
            assert restored.status_code == 201, restored.text
    await open_ticket(client, sworld, "ACME")
    return sworld


async def test_a_page_of_assets_costs_two_statements_whatever_its_size(client, assets, clock):
    admin = assets.headers["admin"]
    await client.get("/api/v1/assets?limit=1", headers=admin)  # the signed-in user is looked up once
    counts = {}
    for limit in (1, 5, 50):
        with statements() as seen:
            response = await client.get(f"/api/v1/assets?limit={limit}", headers=admin)
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == min(limit, 4 + EXTRA_ASSETS)
        counts[limit] = len(seen)
    assert counts[1] == counts[5] == counts[50], counts

    for limit in (1, 50):
        with statements() as seen:
            listed = await coverage.list_covered_assets(
                customer=None, viewer=None, limit=limit, offset=0, now=clock.now
            )
        assert len(seen) == 2, seen  # the assets, then the downtime of all of them
        assert len(listed) == min(limit, 4 + EXTRA_ASSETS)


async def test_each_asset_of_a_page_has_the_coverage_it_has_alone(client, assets, clock):
    response = await client.get("/api/v1/assets?limit=50", headers=assets.headers["admin"])
    listed = {item["serial"]: item for item in response.json()["items"]}
    assert len(listed) == 4 + EXTRA_ASSETS
    ids = {row["serial"]: row["id"] for row in await Asset.select(Asset.serial, Asset.id)}
    for serial, item in listed.items():
        alone = await coverage.asset_coverage(ids[serial], clock.now)
        assert (item["warranty_end"], item["coverage_phase"]) == (alone.end.isoformat(), alone.phase), serial
        one = await client.get(f"/api/v1/assets/{serial}", headers=assets.headers["admin"])
        assert one.json() == item
    ends = {serial: listed[f"SRV-PLAT-{serial}"]["warranty_end"] for serial in ("X0", "X1", "X2", "X5", "X7")}
    # 2024-02-29 plus a year, plus the downtime the user did not cause: 10 and 12 days restored, 35 open.
    assert ends == {
        "X0": "2025-03-10",
        "X1": "2025-02-28",
        "X2": "2025-03-12",
        "X5": "2025-04-04",
        "X7": "2025-02-28",
    }
