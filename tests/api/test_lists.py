"""The warehouse's and the planners' lists: filters, pages, and who may see what."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from routing.tables import RoutePlanRecord
from tests.api.conftest import receive, units
from tests.api.service_world import build, local, open_ticket


@pytest.fixture
async def sworld(client, world, clock):
    clock.now = local(2026, 11, 24, 10)
    return await build(client, world)


async def _get(client, headers, path, **params):
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _stocked(client, world):
    """Disks in two batches at PEK-C (one box each), PSUs at SHA-C, cables in two batches at CAN-R."""
    for number, (depot, lines) in enumerate(
        (
            ("PEK-C", [{"part_number": world.disk, "units": units("D", 4, box_size=2, batch="B-DISK-1")}]),
            ("SHA-C", [{"part_number": world.psu, "units": units("P", 3, batch="B-PSU-1")}]),
            ("PEK-C", [{"part_number": world.disk, "units": units("E", 2, batch="B-DISK-2")}]),
            (
                "CAN-R",
                [
                    {"part_number": world.cable, "quantity": 30, "batch_number": "B-CBL-1"},
                    {"part_number": world.cable, "quantity": 5, "batch_number": "B-CBL-2"},
                ],
            ),
        )
    ):
        response = await receive(client, world, depot, lines, reference=f"DN-LIST-{number}")
        assert response.status_code == 201, response.text


async def test_units_by_batch_box_depot_and_status_and_a_batch_recall_follows_the_units(client, world):
    await _stocked(client, world)
    staff = world.headers["warehouse"]
    moved = await client.post(
        "/api/v1/stock/transfers",
        json={"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "SHA-C", "serials": ["D0001"]},
        headers=staff,
    )
    assert moved.status_code == 201, moved.text

    recall = await _get(client, staff, "/api/v1/stock/units", batch_number="B-DISK-1")
    assert [(u["serial"], u["depot"], u["status"]) for u in recall["items"]] == [
        ("D0000", "PEK-C", "available"),
        ("D0001", "SHA-C", "in_transit"),
        ("D0002", "PEK-C", "available"),
        ("D0003", "PEK-C", "available"),
    ]
    box = await _get(client, staff, "/api/v1/stock/units", box_number="D-BOX1")
    assert [u["serial"] for u in box["items"]] == ["D0002", "D0003"]
    in_transit = await _get(client, staff, "/api/v1/stock/units", status="in_transit")
    assert [u["serial"] for u in in_transit["items"]] == ["D0001"]
    at_sha = await _get(client, staff, "/api/v1/stock/units", depot="SHA-C", part_number=world.psu)
    assert [u["serial"] for u in at_sha["items"]] == ["P0000", "P0001", "P0002"]

    first = await _get(client, staff, "/api/v1/stock/units", part_number=world.disk, limit=4)
    assert (len(first["items"]), first["next_offset"]) == (4, 4)
    rest = await _get(client, staff, "/api/v1/stock/units", part_number=world.disk, limit=4, offset=4)
    assert ([u["serial"] for u in rest["items"]], rest["next_offset"]) == (["E0000", "E0001"], None)

    nothing = await _get(client, staff, "/api/v1/stock/units", depot="NOWHERE")
    assert nothing["items"] == []
    refused = await client.get("/api/v1/stock/units", params={"status": "melted"}, headers=staff)
    assert refused.status_code == 422


async def test_bulk_batches_per_depot(client, world):
    await _stocked(client, world)
    staff = world.headers["dispatcher"]
    batches = await _get(client, staff, "/api/v1/stock/batches", part_number=world.cable)
    assert [(b["depot"], b["batch_number"], b["available"]) for b in batches["items"]] == [
        ("CAN-R", "B-CBL-1", 30),
        ("CAN-R", "B-CBL-2", 5),
    ]
    assert (await _get(client, staff, "/api/v1/stock/batches", depot="PEK-C"))["items"] == []
    one = await _get(client, staff, "/api/v1/stock/batches", batch_number="B-CBL-2")
    assert [b["available"] for b in one["items"]] == [5]


async def test_transfers_receipts_and_movements_filtered(client, world, clock):
    clock.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    await _stocked(client, world)
    staff = world.headers["warehouse"]
    first = await client.post(
        "/api/v1/stock/transfers",
        json={"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "SHA-C", "quantity": 2},
        headers=staff,
    )
    second = await client.post(
        "/api/v1/stock/transfers",
        json={"part_number": world.cable, "from_depot": "CAN-R", "to_depot": "PEK-C", "quantity": 7},
        headers=staff,
    )
    assert first.status_code == second.status_code == 201
    landed = await client.post(f"/api/v1/stock/transfers/{second.json()['id']}/receive", headers=staff)
    assert landed.status_code == 200, landed.text

    everything = await _get(client, staff, "/api/v1/stock/transfers")
    assert [t["id"] for t in everything["items"]] == [second.json()["id"], first.json()["id"]]
    open_ones = await _get(client, staff, "/api/v1/stock/transfers", status="in_transit")
    assert [(t["part_number"], t["received_quantity"]) for t in open_ones["items"]] == [(world.disk, 0)]
    into_pek = await _get(client, staff, "/api/v1/stock/transfers", to_depot="PEK-C")
    assert [(t["quantity"], t["received_quantity"], t["status"]) for t in into_pek["items"]] == [
        (7, 7, "received")
    ]
    from_pek = await _get(
        client, staff, "/api/v1/stock/transfers", from_depot="PEK-C", part_number=world.disk
    )
    assert [t["id"] for t in from_pek["items"]] == [first.json()["id"]]

    receipts = await _get(client, staff, "/api/v1/stock/receipts", depot="PEK-C")
    assert [r["quantity"] for r in receipts["items"]] == [2, 4]
    by_reference = await _get(
        client, staff, "/api/v1/stock/receipts", reference=receipts["items"][0]["reference"]
    )
    assert [r["id"] for r in by_reference["items"]] == [receipts["items"][0]["id"]]
    assert (await _get(client, staff, "/api/v1/stock/receipts", supplier="Nobody"))["items"] == []
    received_at = datetime.fromisoformat(receipts["items"][0]["received_at"])
    window = {"since": received_at.isoformat(), "until": (received_at + timedelta(seconds=1)).isoformat()}
    assert len((await _get(client, staff, "/api/v1/stock/receipts", **window))["items"]) == 4
    later = (received_at + timedelta(days=1)).isoformat()
    assert (await _get(client, staff, "/api/v1/stock/receipts", since=later))["items"] == []

    journey = await _get(client, staff, "/api/v1/stock/movements", serial="D0000")
    assert [(m["kind"], m["from_depot"], m["to_depot"]) for m in journey["items"]] == [
        ("transfer_out", "PEK-C", "SHA-C"),
        ("receipt", None, "PEK-C"),
    ]
    of_transfer = await _get(
        client, staff, "/api/v1/stock/movements", reference=f"transfer:{second.json()['id']}"
    )
    assert sorted(m["kind"] for m in of_transfer["items"]) == ["transfer_in", "transfer_out"]
    at_can = await _get(client, staff, "/api/v1/stock/movements", depot="CAN-R", kind="transfer_out")
    assert [(m["part_number"], m["quantity"]) for m in at_can["items"]] == [(world.cable, 7)]
    by_actor = await _get(client, staff, "/api/v1/stock/movements", actor="warehouse", part_number=world.psu)
    assert [m["serial"] for m in by_actor["items"]] == ["P0002", "P0001", "P0000"]
    assert (await _get(client, staff, "/api/v1/stock/movements", serial="NO-SUCH"))["items"] == []

    at_pek = await _get(client, staff, "/api/v1/stock/movements", depot="PEK-C")
    ids = [m["id"] for m in at_pek["items"]]
    assert ids == sorted(ids, reverse=True)
    assert all("PEK-C" in (m["from_depot"], m["to_depot"]) for m in at_pek["items"])
    assert {m["kind"] for m in at_pek["items"]} == {"receipt", "transfer_out", "transfer_in"}
    paged = []
    for offset in range(0, len(ids) + 3, 3):
        page = await _get(client, staff, "/api/v1/stock/movements", depot="PEK-C", limit=3, offset=offset)
        paged += [m["id"] for m in page["items"]]
    assert paged == ids, "pages of a depot's movements follow one another without gaps or repeats"


async def test_a_time_window_needs_offsets_and_must_run_forwards(client, world):
    staff = world.headers["warehouse"]
    naive = await client.get(
        "/api/v1/stock/movements", params={"since": "2026-12-01T08:00:00"}, headers=staff
    )
    assert naive.status_code == 422
    assert naive.json()["field"] == "since"
    now = datetime.now(UTC)
    backwards = await client.get(
        "/api/v1/stock/receipts",
        params={"since": now.isoformat(), "until": (now - timedelta(hours=1)).isoformat()},
        headers=staff,
    )
    assert backwards.status_code == 422
    too_big = await client.get("/api/v1/stock/movements", params={"limit": 100_000}, headers=staff)
    assert too_big.status_code == 422


async def test_stock_lists_are_for_staff_only(client, world):
    for path in ("transfers", "receipts", "movements", "units", "batches"):
        response = await client.get(f"/api/v1/stock/{path}", headers=world.headers["customer"])
        assert response.status_code == 403, path
        assert (await client.get(f"/api/v1/stock/{path}")).status_code == 401


async def test_reservations_filtered_and_a_customer_sees_only_its_own(client, sworld):
    stock = sworld.stock
    for depot, prefix in (("PEK-C", "P"), ("CAN-R", "G")):
        response = await receive(
            client, stock, depot, [{"part_number": stock.disk, "units": units(prefix, 3)}]
        )
        assert response.status_code == 201, response.text
    theirs = await open_ticket(client, sworld, "PLAT")
    ours = await open_ticket(client, sworld, "ACME", headers=sworld.headers["customer"])
    held = {}
    for ticket, depot in ((theirs, "PEK-C"), (ours, "CAN-R")):
        response = await client.post(
            f"/api/v1/tickets/{ticket['id']}/reservations",
            json={"part_number": stock.disk, "quantity": 1, "depot": depot},
            headers=sworld.headers["dispatcher"],
        )
        assert response.status_code == 201, response.text
        held[ticket["id"]] = response.json()["id"]
    released = await client.post(
        f"/api/v1/reservations/{held[theirs['id']]}/release", headers=sworld.headers["dispatcher"]
    )
    assert released.status_code == 200, released.text

    staff = sworld.headers["warehouse"]
    everything = await _get(client, staff, "/api/v1/reservations")
    assert [r["id"] for r in everything["items"]] == [held[ours["id"]], held[theirs["id"]]]
    at_pek = await _get(client, staff, "/api/v1/reservations", depot="PEK-C", part_number=stock.disk)
    assert [(r["ticket"], r["status"]) for r in at_pek["items"]] == [(theirs["id"], "released")]
    active = await _get(client, staff, "/api/v1/reservations", status="active")
    assert [r["ticket"] for r in active["items"]] == [ours["id"]]
    of_ticket = await _get(client, staff, "/api/v1/reservations", ticket=theirs["id"])
    assert [r["serials"] for r in of_ticket["items"]] == [["P0000"]]

    customer = sworld.headers["customer"]
    own = await _get(client, customer, "/api/v1/reservations")
    assert [r["ticket"] for r in own["items"]] == [ours["id"]]
    assert (await _get(client, customer, "/api/v1/reservations", ticket=theirs["id"]))["items"] == []
    assert (await _get(client, customer, "/api/v1/reservations", depot="PEK-C"))["items"] == []


async def _plan(kind: str, day: date, status: str) -> int:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    rows = await RoutePlanRecord.insert(
        RoutePlanRecord(
            kind=kind,
            plan_date=day,
            depots="PEK-C SHA-C",
            status=status,
            epoch=now,
            objective=10,
            stats=json.dumps({"stops": 3}),
            created_by="dispatcher",
            created_at=now,
        )
    ).returning(RoutePlanRecord.id)
    return rows[0]["id"]


async def test_plans_by_day_and_state_each_list_its_own_kind(client, world):
    monday, tuesday = date(2026, 12, 7), date(2026, 12, 8)
    old = await _plan("nbd", monday, "superseded")
    kept = await _plan("nbd", monday, "committed")
    draft = await _plan("nbd", tuesday, "draft")
    visits = await _plan("dispatch", monday, "draft")
    staff = world.headers["warehouse"]

    deliveries = await _get(client, staff, "/api/v1/routing/plans")
    assert [p["id"] for p in deliveries["items"]] == [draft, kept, old]
    on_monday = await _get(client, staff, "/api/v1/routing/plans", date="2026-12-07")
    assert [(p["id"], p["status"], p["depots"]) for p in on_monday["items"]] == [
        (kept, "committed", ["PEK-C", "SHA-C"]),
        (old, "superseded", ["PEK-C", "SHA-C"]),
    ]
    committed = await _get(client, staff, "/api/v1/routing/plans", date="2026-12-07", state="committed")
    assert [(p["id"], p["stats"]) for p in committed["items"]] == [(kept, {"stops": 3})]
    dispatch = await _get(client, staff, "/api/v1/dispatch/plans", state="draft")
    assert [(p["id"], p["kind"]) for p in dispatch["items"]] == [(visits, "dispatch")]
    bad = await client.get("/api/v1/routing/plans", params={"state": "lost"}, headers=staff)
    assert bad.status_code == 422
    assert (await client.get("/api/v1/dispatch/plans", headers=world.headers["customer"])).status_code == 403
