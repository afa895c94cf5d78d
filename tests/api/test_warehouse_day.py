"""A warehouse's whole day replayed through the JSON API, in order, on both engines.

Issue 19's acceptance run: a delivery against its notice with one wrong batch (quarantined), a duplicate
delivery note refused, a transfer received in part, a count whose variances a second person approves, a
defective unit received from a ticket and sent to the vendor on an RMA, a batch recall, replenishment
suggestions accepted into transfers, and a label sheet whose every code scans back to its object.

The people: ``warehouse`` (the shift's clerk), ``warehouse2`` (a second warehouse user, added by the
admin, who approves the count), ``dispatcher`` (the ticket side) and ``compliance`` (verifies the
sanitization of the returned disk). Each step checks what a warehouse manager would check.
"""

from __future__ import annotations

import base64
import io
from urllib.parse import quote

import zxingcpp
from PIL import Image
from selectolax.lexbor import LexborHTMLParser

from inventory.stock.consistency import check_consistency
from tests.api.conftest import PASSWORD, level, login, units
from tests.api.service_world import build, local, open_ticket
from tests.api.test_secure_media import destruction

NOTE = "DN-2611-0001"
"""The delivery note of the morning's delivery, announced by its notice."""
BATCH = "B-24"
"""The factory batch of the morning's disks: recalled in the afternoon."""
FAILED = "WX-FAILED-0007"
"""The serial of the customer's failed disk that comes back from the ticket."""


async def _get(client, headers, path, **params) -> dict:
    response = await client.get(path, params=params or None, headers=headers)  # {} would drop path's query
    assert response.status_code == 200, response.text
    return response.json()


def _decoded(src: str) -> list[str]:
    """The text of every symbol read in a ``data:image/png;base64,`` label image."""
    assert src.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    return [symbol.text for symbol in zxingcpp.read_barcodes(image)]


async def test_a_warehouse_day(client, world, clock):
    clock.now = local(2026, 11, 24, 7, 30)
    # Before the day: the depots and parts (the ``world`` fixture, through the API; its users of each
    # role are written directly by the ``headers`` fixture, as for every API test), the customers, their
    # sites and assets (the service world: its bill of parts is the one direct database write, as in
    # every ticket test, for there is no API for it), and the depot hierarchy the planners use. The
    # admin adds a second warehouse user for the four-eyes approvals.
    sworld = await build(client, world)
    clerk, dispatcher, admin = (world.headers[role] for role in ("warehouse", "dispatcher", "admin"))
    added = await client.post(
        "/api/v1/users",
        json={"username": "warehouse2", "password": PASSWORD, "role": "warehouse"},
        headers=admin,
    )
    assert added.status_code == 201, added.text
    second = await login(client, "warehouse2")
    for depot, supplier, days in (("PEK-C", None, 21), ("SHA-C", "PEK-C", 2), ("CAN-R", "SHA-C", 3)):
        route = await client.put(
            "/api/v1/replenishment/hierarchy",
            json={"depot": depot, "supplier_depot": supplier, "lead_time_days": days},
            headers=clerk,
        )
        assert route.status_code == 200, route.text

    # 07:30 The supplier's advance shipping notice arrives: eight disks of batch B-24 in two boxes, and
    # forty cables of batch L-7, all for PEK-C on delivery note DN-2611-0001.
    announced = units("D", 8, box_size=4, batch=BATCH)
    notice = await client.post(
        "/api/v1/stock/notices",
        json={
            "depot": "PEK-C",
            "supplier": "OEM",
            "reference": NOTE,
            "lines": [
                {"part_number": world.disk, "units": announced},
                {"part_number": world.cable, "quantity": 40, "batch_number": "L-7"},
            ],
        },
        headers=clerk,
    )
    assert notice.status_code == 201, notice.text
    notice_id = notice.json()["id"]
    assert notice.json()["status"] == "open"

    # 08:00 The truck is unloaded and scanned against the notice. One disk, D0005, carries batch B-25
    # on its label: it is booked but quarantined with the reason, the rest is available. The scanner's
    # client sends an Idempotency-Key; its retry after a dropped connection books nothing twice.
    clock.now = local(2026, 11, 24, 8)
    arrived = [{**unit, "batch_number": "B-25"} if unit["serial"] == "D0005" else unit for unit in announced]
    delivery = {
        "lines": [
            {"part_number": world.disk, "units": arrived},
            {"part_number": world.cable, "quantity": 40, "batch_number": "L-7"},
        ]
    }
    key = {"Idempotency-Key": "asn-2611-0001"}
    received = await client.post(
        f"/api/v1/stock/notices/{notice_id}/receive", json=delivery, headers=clerk | key
    )
    assert received.status_code == 200, received.text
    booked = received.json()
    assert booked["status"] == "received"
    assert [
        (f["reason"], f["serial"], f["batch_number"], f["expected_batch_number"]) for f in booked["findings"]
    ] == [("batch_differs", "D0005", "B-25", BATCH)]
    retried = await client.post(
        f"/api/v1/stock/notices/{notice_id}/receive", json=delivery, headers=clerk | key
    )
    assert (retried.status_code, retried.json()) == (200, booked)
    assert retried.headers["idempotency-replayed"] == "true"
    wrong = await _get(client, clerk, "/api/v1/stock/units/D0005")
    assert (wrong["status"], wrong["depot"], wrong["batch_number"]) == ("quarantined", "PEK-C", "B-25")
    assert wrong["history"][0]["reason"] == f"OEM {NOTE}: batch_differs"
    disks = await level(client, world, world.disk, "PEK-C")
    assert (disks["available"], disks["quarantined"]) == (7, 1)
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 40
    quarantine = await _get(client, clerk, "/api/v1/stock/units", depot="PEK-C", status="quarantined")
    assert [u["serial"] for u in quarantine["items"]] == ["D0005"]
    kept = await _get(client, clerk, f"/api/v1/stock/notices/{notice_id}")
    assert (kept["status"], kept["receipt_id"]) == ("received", booked["receipt_id"])
    assert [(f["reason"], f["serial"]) for f in kept["findings"]] == [("batch_differs", "D0005")]

    # 08:20 The driver's office sends the same delivery note again as a plain goods receipt: refused as
    # a duplicate delivery, and nothing is booked a second time.
    duplicate = await client.post(
        "/api/v1/stock/receipts",
        json={
            "depot": "PEK-C",
            "supplier": "OEM",
            "reference": NOTE,
            "lines": [{"part_number": world.cable, "quantity": 40, "batch_number": "L-7"}],
        },
        headers=clerk | {"Idempotency-Key": "receipt-2611-dup"},
    )
    assert duplicate.status_code == 409, duplicate.text
    assert duplicate.json()["type"] == "urn:spareline:problem:duplicate-delivery"
    again = await client.post(
        "/api/v1/stock/notices",
        json={
            "depot": "PEK-C",
            "supplier": "OEM",
            "reference": NOTE.lower(),
            "lines": [{"part_number": world.cable, "quantity": 40, "batch_number": "L-7"}],
        },
        headers=clerk,
    )
    assert again.status_code == 409, again.text
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 40
    receipts = await _get(client, clerk, "/api/v1/stock/receipts", depot="PEK-C")
    assert [(r["reference"], r["quantity"]) for r in receipts["items"]] == [(NOTE, 48)]

    # 09:00 Three of the new disks go to SHA-C. SHA-C scans two off the van; the third is still on it:
    # the transfer is partially received and D0002 stays in transit, on SHA-C's books as such.
    clock.now = local(2026, 11, 24, 9)
    sent = await client.post(
        "/api/v1/stock/transfers",
        json={
            "part_number": world.disk,
            "from_depot": "PEK-C",
            "to_depot": "SHA-C",
            "serials": ["D0000", "D0001", "D0002"],
            "reason": "stock SHA-C for the day",
        },
        headers=clerk,
    )
    assert sent.status_code == 201, sent.text
    transfer = sent.json()
    assert transfer["status"] == "in_transit"
    clock.now = local(2026, 11, 24, 9, 45)
    landed = await client.post(
        f"/api/v1/stock/transfers/{transfer['id']}/receive",
        json={"serials": ["D0000", "D0001"]},
        headers=clerk | {"Idempotency-Key": f"transfer-{transfer['id']}-1"},
    )
    assert landed.status_code == 200, landed.text
    assert (landed.json()["status"], landed.json()["received_quantity"]) == ("partially_received", 2)
    assert [(line["serial"], line["received"]) for line in landed.json()["lines"]] == [
        ("D0000", True),
        ("D0001", True),
        ("D0002", False),
    ]
    relanded = await client.post(
        f"/api/v1/stock/transfers/{transfer['id']}/receive",
        json={"serials": ["D0000", "D0001"]},
        headers=clerk | {"Idempotency-Key": f"transfer-{transfer['id']}-1"},
    )
    assert (relanded.status_code, relanded.json()) == (200, landed.json())
    on_van = await _get(client, clerk, "/api/v1/stock/units/D0002")
    assert (on_van["depot"], on_van["status"]) == ("SHA-C", "in_transit")
    sha = await level(client, world, world.disk, "SHA-C")
    assert (sha["available"], sha["in_transit"]) == (2, 1)

    # 10:00 The clerk counts the disks and cables at PEK-C: D0007 is not on its shelf, a disk nobody
    # booked (X-STRAY-1) is, and batch L-7 holds 38 cables, not 40. Closing lists the variances; the
    # books do not move until a second person approves, and the clerk cannot approve their own count.
    clock.now = local(2026, 11, 24, 10)
    opened = await client.post(
        "/api/v1/stock/counts", json={"depot": "PEK-C", "parts": [world.disk, world.cable]}, headers=clerk
    )
    assert opened.status_code == 201, opened.text
    count_id = opened.json()["id"]
    scans = [{"part_number": world.disk, "serial": s} for s in ("D0003", "D0004", "D0005", "D0006")]
    scans += [
        {"part_number": world.disk, "serial": "X-STRAY-1"},
        {"part_number": world.cable, "batch_number": "L-7", "quantity": 30},
        {"part_number": world.cable, "batch_number": "L-7", "quantity": 8},
    ]
    for line in scans:
        scanned = await client.post(f"/api/v1/stock/counts/{count_id}/lines", json=line, headers=clerk)
        assert scanned.status_code == 201, scanned.text
    closed = await client.post(f"/api/v1/stock/counts/{count_id}/close", headers=clerk)
    assert closed.status_code == 200, closed.text
    assert [
        (v["kind"], v["serial"], v["batch_number"], v["expected"], v["counted"], v["outcome"])
        for v in closed.json()["variances"]
    ] == [
        ("missing", "D0007", BATCH, 1, 0, "lost"),
        ("unknown", "X-STRAY-1", "", 0, 1, "found"),
        ("quantity", None, "L-7", 40, 38, "adjust"),
    ]
    assert (await _get(client, clerk, "/api/v1/stock/units/D0007"))["status"] == "available"
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 40
    mine = await client.post(f"/api/v1/stock/counts/{count_id}/approve", headers=clerk)
    assert mine.status_code == 403, mine.text
    assert mine.json()["type"] == "urn:spareline:problem:second-person-required"
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 40
    approved = await client.post(
        f"/api/v1/stock/counts/{count_id}/approve", headers=second | {"Idempotency-Key": f"count-{count_id}"}
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("approved", "warehouse2")
    lost = await _get(client, clerk, "/api/v1/stock/units/D0007")
    assert (lost["status"], lost["depot"]) == ("lost", None)
    assert lost["history"][-1]["reference"] == f"count:{count_id}"
    stray = await _get(client, clerk, "/api/v1/stock/units/X-STRAY-1")
    assert (stray["status"], stray["depot"]) == ("quarantined", "PEK-C")
    disks = await level(client, world, world.disk, "PEK-C")
    assert (disks["available"], disks["quarantined"]) == (3, 2)
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 38

    # 11:00 A premium customer's disk fails in Shanghai. The dispatcher opens a ticket and reserves a
    # disk at SHA-C; the clerk issues D0000 to the engineer, who will bring back the failed WX-FAILED-0007.
    clock.now = local(2026, 11, 24, 11)
    ticket = await open_ticket(client, sworld, "PREM")
    reservation = await client.post(
        f"/api/v1/tickets/{ticket['id']}/reservations",
        json={"part_number": world.disk, "quantity": 1, "depot": "SHA-C"},
        headers=dispatcher,
    )
    assert reservation.status_code == 201, reservation.text
    issued = await client.post(
        f"/api/v1/reservations/{reservation.json()['id']}/issue",
        json={"serial": "D0000", "failed_serial": FAILED},
        headers=clerk,
    )
    assert issued.status_code == 200, issued.text
    expected = await _get(client, clerk, "/api/v1/returns", ticket=ticket["id"])
    [awaited] = expected["items"]
    assert (awaited["failed_serial"], awaited["status"]) == (FAILED, "expected")

    # 14:00 The engineer brings a disk back. Its serial is checked against the failed one recorded at
    # issue: a different disk is refused naming both serials; the right one is booked in as defective
    # for the vendor.
    clock.now = local(2026, 11, 24, 14)
    returned = f"/api/v1/returns/{awaited['id']}/receive"
    mismatch = await client.post(
        returned,
        json={"depot": "SHA-C", "serial": "WX-FAILED-0008", "grade": "vendor_return"},
        headers=clerk | {"Idempotency-Key": f"return-{awaited['id']}-1"},
    )
    assert mismatch.status_code == 422, mismatch.text
    problem = mismatch.json()
    assert problem["type"] == "urn:spareline:problem:serial-mismatch"
    assert (problem["expected"], problem["returned"]) == (FAILED, "WX-FAILED-0008")
    assert FAILED in problem["detail"]
    assert "WX-FAILED-0008" in problem["detail"]
    back = await client.post(
        returned,
        json={"depot": "SHA-C", "serial": FAILED, "grade": "vendor_return"},
        headers=clerk | {"Idempotency-Key": f"return-{awaited['id']}-2"},
    )
    assert back.status_code == 200, back.text
    assert (back.json()["status"], back.json()["received_depot"]) == ("received", "SHA-C")
    failed = await _get(client, clerk, f"/api/v1/stock/units/{FAILED}")
    assert (failed["status"], failed["depot"]) == ("defective", "SHA-C")
    assert failed["history"][-1]["reference"] == f"return:{awaited['id']}"
    [closed_return] = (await _get(client, clerk, "/api/v1/returns", ticket=ticket["id"]))["items"]
    assert (closed_return["status"], closed_return["grade"]) == ("received", "vendor_return")

    # 14:30 A secure disk leaves for its vendor only sanitized: the clerk records the crypto erase and
    # compliance verifies it.
    clock.now = local(2026, 11, 24, 14, 30)
    retentions = await _get(
        client, world.headers["compliance"], "/api/v1/secure-media/retentions", custody="depot"
    )
    record = next(r for r in retentions["items"] if r["failed_serial"] == FAILED)
    events = f"/api/v1/secure-media/retentions/{record['id']}/events"
    erased = destruction(
        method="purge",
        technique="crypto_erase",
        performed_at=clock.now.isoformat(),
        location="SHA-C secure cage",
        post_sanitization_destination="vendor RMA",
    )
    sanitized = await client.post(events, json=erased, headers=clerk)
    assert sanitized.status_code == 201, sanitized.text
    verified = await client.post(events, json={"type": "verification"}, headers=world.headers["compliance"])
    assert verified.status_code == 201, verified.text

    # 15:00 The disk goes back to the vendor on an RMA: open, then shipped (it leaves the books as
    # returned to vendor), then the vendor's replacement arrives and is booked in: replaced.
    clock.now = local(2026, 11, 24, 15)
    rma = await client.post(
        "/api/v1/vendor-returns",
        json={
            "vendor": "OEM",
            "rma_number": "RMA-2611-0007",
            "depot": "SHA-C",
            "units": [{"part_number": world.disk, "serial": FAILED}],
        },
        headers=clerk,
    )
    assert rma.status_code == 201, rma.text
    assert rma.json()["status"] == "open"
    rma_url = f"/api/v1/vendor-returns/{rma.json()['id']}"
    shipped = await client.post(f"{rma_url}/ship", headers=clerk)
    assert shipped.status_code == 200, shipped.text
    assert (shipped.json()["status"], shipped.json()["units"][0]["status"]) == (
        "shipped",
        "returned_to_vendor",
    )
    assert (await level(client, world, world.disk, "SHA-C"))["defective"] == 0
    clock.now = local(2026, 11, 24, 16)
    replaced = await client.post(
        f"{rma_url}/replacements",
        json={
            "lines": [
                {
                    "part_number": world.disk,
                    "units": [{"serial": "R-0007", "box_number": "RMA-BOX-7", "batch_number": "B-R1"}],
                }
            ]
        },
        headers=clerk | {"Idempotency-Key": f"rma-{rma.json()['id']}-replacements"},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["status"] == "replaced"
    assert [(u["serial"], u["replacement"], u["status"]) for u in replaced.json()["units"]] == [
        (FAILED, False, "returned_to_vendor"),
        ("R-0007", True, "available"),
    ]
    replacements = await _get(client, clerk, "/api/v1/vendor-returns", status="replaced")
    assert [item["rma_number"] for item in replacements["items"]] == ["RMA-2611-0007"]
    assert (await _get(client, clerk, "/api/v1/stock/units/R-0007"))["depot"] == "SHA-C"
    assert (await level(client, world, world.disk, "SHA-C"))["available"] == 2

    # 16:15 The vendor recalls batch B-24. The recall lists every unit of the batch, where it is now:
    # on PEK-C's shelf, at SHA-C, still on the van, issued to the customer, written off as lost. The
    # issued one names its ticket, customer, site and asset, and its trace leads to the same ticket.
    clock.now = local(2026, 11, 24, 16, 15)
    recall = await _get(client, clerk, "/api/v1/stock/units", batch_number=BATCH)
    assert [(u["serial"], u["depot"], u["status"]) for u in recall["items"]] == [
        ("D0000", None, "issued"),
        ("D0001", "SHA-C", "available"),
        ("D0002", "SHA-C", "in_transit"),
        ("D0003", "PEK-C", "available"),
        ("D0004", "PEK-C", "available"),
        ("D0006", "PEK-C", "available"),
        ("D0007", None, "lost"),
    ]
    assert recall["next_offset"] is None
    at_customer = recall["items"][0]
    assert (at_customer["ticket"], at_customer["customer"], at_customer["site"], at_customer["asset"]) == (
        ticket["id"],
        ticket["customer"],
        ticket["site"],
        ticket["asset_serial"],
    )
    assert all(unit["ticket"] is None for unit in recall["items"][1:])
    issued_unit = await _get(client, clerk, "/api/v1/stock/units/D0000")
    assert issued_unit["history"][-1]["reference"] == f"ticket:{ticket['id']}"

    # 16:30 Replenishment: SHA-C should hold 5 to 20 cables and CAN-R at least one disk. The
    # suggestions are accepted; each becomes a transfer from the supplying depot, in transit.
    for part, depot, reorder, target in ((world.cable, "SHA-C", 5, 20), (world.disk, "CAN-R", 1, 1)):
        policy = await client.put(
            "/api/v1/stock/policies",
            json={
                "depot": depot,
                "part_number": part,
                "kind": "min_max",
                "reorder_level": reorder,
                "target_level": target,
            },
            headers=clerk,
        )
        assert policy.status_code == 200, policy.text
    accepted = {}
    for depot in ("SHA-C", "CAN-R"):
        [suggestion] = (await _get(client, clerk, "/api/v1/replenishment/suggestions", depot=depot))["items"]
        assert suggestion["kind"] == "transfer"
        answer = await client.post(
            f"/api/v1/replenishment/suggestions/{suggestion['id']}/accept",
            headers=clerk | {"Idempotency-Key": f"accept-{depot}"},
        )
        assert answer.status_code == 200, answer.text
        accepted[depot] = await _get(client, clerk, f"/api/v1/stock/transfers/{answer.json()['transfer_id']}")
    assert [
        (t["part_number"], t["from_depot"], t["to_depot"], t["quantity"], t["status"])
        for t in accepted.values()
    ] == [
        (world.cable, "PEK-C", "SHA-C", 20, "in_transit"),
        (world.disk, "SHA-C", "CAN-R", 1, "in_transit"),
    ]
    for depot in ("SHA-C", "CAN-R"):
        assert (await _get(client, clerk, "/api/v1/replenishment/suggestions", depot=depot))["items"] == []
    assert (await level(client, world, world.cable, "SHA-C"))["in_transit"] == 20
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 18
    assert (await level(client, world, world.disk, "CAN-R"))["in_transit"] == 1

    # 17:00 Labels for the shelf: the disks left at PEK-C, the vendor's replacement, box D-BOX1 and the
    # cable batch. The sheet prints; every code is read back from its printed symbols and the scanner
    # resolves it to its object.
    clock.now = local(2026, 11, 24, 17)
    sheets = []
    for params in (
        {"serials": "D0003,D0004,D0006,R-0007"},
        {"box_number": "D-BOX1"},
        {"batch_number": "L-7"},
        {"batch_number": BATCH},
    ):
        sheet = await client.get("/api/v1/labels", params=params, headers=clerk)
        assert sheet.status_code == 200, sheet.text
        assert sheet.headers["content-type"].startswith("text/html")
        labels = []
        for section in LexborHTMLParser(sheet.text).css("section.label"):
            code = section.attributes["data-code"]
            assert _decoded(section.css_first("img.qr").attributes["src"]) == [code]
            labels.append((section.attributes["data-kind"], code))
        sheets.append(labels)
    units_sheet, box_sheet, batch_sheet, recalled_sheet = sheets
    assert units_sheet == [("unit", "D0003"), ("unit", "D0004"), ("unit", "D0006"), ("unit", "R-0007")]
    # The box's label first, then one per unit in it, the quarantined D0005 and the lost D0007 included.
    assert box_sheet[0] == ("box", "D-BOX1")
    assert sorted(box_sheet[1:]) == [("unit", f"D000{n}") for n in (4, 5, 6, 7)]
    assert batch_sheet == [("batch", "L-7")]
    assert recalled_sheet == [("batch", BATCH)]
    printed = units_sheet + box_sheet + batch_sheet + recalled_sheet
    for kind, code in printed:
        scanned = await _get(client, clerk, f"/api/v1/scan/{quote(code)}")
        [match] = scanned["matches"]
        assert (match["kind"], match["key"]) == (kind, code)
        shown = await _get(client, clerk, match["href"])
        if kind == "unit":
            assert shown["serial"] == code
        else:  # a box or batch: the list of what it holds (the cable batch: its bulk stock)
            assert shown["items"], match["href"]
            assert all(code in (item.get("box_number"), item["batch_number"]) for item in shown["items"])

    # End of day: the stock sheet of every depot, the transfer still waiting for its last disk, and the
    # books hold together.
    sheet = await _get(client, clerk, "/api/v1/stock")
    columns = ("on_hand", "available", "in_transit", "defective", "quarantined")
    assert {(r["depot"], r["part_number"]): tuple(r[c] for c in columns) for r in sheet["items"]} == {
        ("PEK-C", world.disk): (3, 3, 0, 0, 2),  # D0003, D0004, D0006; D0005 and X-STRAY-1 held back
        ("PEK-C", world.cable): (18, 18, 0, 0, 0),  # 40 received, 2 short at the count, 20 to SHA-C
        ("SHA-C", world.disk): (1, 1, 1, 0, 0),  # one left after CAN-R's; D0002 still on the van
        ("SHA-C", world.cable): (0, 0, 20, 0, 0),
        ("CAN-R", world.disk): (0, 0, 1, 0, 0),
    }
    waiting = await _get(client, clerk, f"/api/v1/stock/transfers/{transfer['id']}")
    assert waiting["status"] == "partially_received"
    assert [line["serial"] for line in waiting["lines"] if not line["received"]] == ["D0002"]
    assert await check_consistency() == []
