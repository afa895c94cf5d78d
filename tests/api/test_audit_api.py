"""The audit chain through the API: verification, checkpoint export, and what the chain records."""

from __future__ import annotations

import json

from inventory.audit.tables import AuditEntry
from tests.api.conftest import receive, units
from tests.test_audit_chain import tamper


async def test_the_verify_api_reports_the_chain(client, world, headers, database_url):
    await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("A", 3)}])
    compliance = headers["compliance"]
    assert (await client.post("/api/v1/audit/checkpoints", headers=compliance)).status_code == 201
    verified = (await client.get("/api/v1/audit/verify", headers=compliance)).json()
    assert verified["valid"] is True
    assert verified["length"] >= 1
    assert verified["first_bad_seq"] is None
    exported = (await client.get("/api/v1/audit/checkpoints", headers=compliance)).json()
    assert exported["checkpoints"][0]["seq"] == verified["length"]
    assert len(bytes.fromhex(exported["public_key"])) == 32
    for role in ("warehouse", "dispatcher", "customer"):
        assert (await client.get("/api/v1/audit/verify", headers=headers[role])).status_code == 403
    await tamper(database_url, "UPDATE audit_entry SET actor = 'nobody' WHERE seq = 1")
    broken = (await client.get("/api/v1/audit/verify", headers=compliance)).json()
    assert (broken["valid"], broken["first_bad_seq"]) == (False, 1)


async def test_every_stock_change_is_in_the_chain(client, world, headers):
    await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("A", 2)}])
    transfer = await client.post(
        "/api/v1/stock/transfers",
        json={"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "SHA-C", "quantity": 1},
        headers=headers["warehouse"],
    )
    await client.post(
        f"/api/v1/stock/transfers/{transfer.json()['id']}/receive", headers=headers["warehouse"]
    )
    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.seq)]
    assert actions == ["stock.receipt", "stock.transfer_out", "stock.transfer_in"]
    receipt = json.loads(
        (await AuditEntry.select(AuditEntry.payload).order_by(AuditEntry.seq).first())["payload"]
    )
    assert len(receipt["movements"]) == 2


async def test_tickets_and_reservations_are_in_the_chain(client, world, clock):
    from tests.api.service_world import build, local, open_ticket, stock_disks

    clock.now = local(2026, 11, 24, 10)
    sworld = await build(client, world)
    await stock_disks(client, world, "PEK-C", 1)
    ticket = await open_ticket(client, sworld, "PLAT")
    await client.post(
        f"/api/v1/tickets/{ticket['id']}/events",
        json={"type": "responded"},
        headers=world.headers["dispatcher"],
    )
    body = {"part_number": world.disk, "quantity": 1}
    held = await client.post(
        f"/api/v1/tickets/{ticket['id']}/reservations", json=body, headers=world.headers["dispatcher"]
    )
    await client.post(
        f"/api/v1/reservations/{held.json()['id']}/release", headers=world.headers["dispatcher"]
    )
    rows = await AuditEntry.select(AuditEntry.action, AuditEntry.subject).order_by(AuditEntry.seq)
    recorded = [
        (row["action"], row["subject"]) for row in rows if not row["action"].startswith("stock.receipt")
    ]
    reservation = f"reservation:{held.json()['id']}"
    assert recorded == [
        ("ticket.opened", f"ticket:{ticket['id']}"),
        ("ticket.responded", f"ticket:{ticket['id']}"),
        ("stock.status_change", reservation),
        ("reservation.released", reservation),
        ("stock.status_change", reservation),
    ]
