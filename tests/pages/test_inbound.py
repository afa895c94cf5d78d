"""The inbound screens: receiving against a shipping notice by scanning, counts with a second person's
approval, returns booked in graded and sent back to the vendor; only warehouse staff and the
administrator open them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from inventory.stock import ReceiptLine, ReceivedUnit, notices
from inventory.stock.tables import Depot, Part
from inventory.tickets.tables import DefectiveReturn, Ticket
from tests.pages.conftest import SQLITE_ONLY, Browser

ENGLISH = {"accept-language": "en"}
pytestmark = SQLITE_ONLY


async def _depot_and_part() -> tuple[str, str, int, int]:
    depot = await Depot.select(Depot.id, Depot.code).order_by(Depot.code).first()
    part = (
        await Part.select(Part.id, Part.part_number)
        .where(Part.serialized == True)  # noqa: E712 - Piccolo builds SQL from ==
        .order_by(Part.part_number)
        .first()
    )
    return depot["code"], part["part_number"], depot["id"], part["id"]


def _unit(serial: str, part: str, box: str, batch: str) -> str:
    return json.dumps({"serial": serial, "part": part, "box": box, "batch": batch})


async def test_a_delivery_is_received_against_its_notice_by_scanning(signed_in) -> None:
    depot, part, _, _ = await _depot_and_part()
    notice = await notices.create_notice(
        depot=depot,
        supplier="OEM",
        reference="ASN-PAGE-1",
        lines=[
            ReceiptLine(
                part,
                2,
                None,
                (ReceivedUnit("PG-ASN-1", "PG-BOX", "PG-B1"), ReceivedUnit("PG-ASN-2", "PG-BOX", "PG-B1")),
            )
        ],
        actor="warehouse",
        now=datetime.now(UTC),
    )
    warehouse: Browser = await signed_in("warehouse")
    listed = await warehouse.page(f"/notices?depot={depot}", headers=ENGLISH)
    assert listed.status == 200
    assert "ASN-PAGE-1" in listed.text(f"[data-notice='{notice.id}']")
    screen = await warehouse.page(f"/receipts/new?notice={notice.id}", headers=ENGLISH)
    assert screen.status == 200
    assert screen.css("input[name=notice]")[0].attributes["value"] == str(notice.id)
    assert "2 announced, 2 not scanned yet, 0 to quarantine" in screen.text("#receipt-notice")
    fields = {
        "depot": depot,
        "supplier": "OEM",
        "reference": "ASN-PAGE-1",
        "notice": str(notice.id),
        "unit": [_unit("PG-ASN-1", part, "PG-BOX", "PG-B1"), _unit("PG-ASN-2", part, "PG-BOX2", "PG-B9")],
    }
    step = await warehouse.submit("/receipts/new", {**fields, "scan": ""}, headers=ENGLISH)
    assert "Batch differs from the notice: quarantined" in step.text("#receipt-notice")
    booked = await warehouse.submit("/receipts", {**fields, "idempotency_key": "asn-page-1"}, headers=ENGLISH)
    assert booked.status == 303, booked.response.text[:2000]
    assert booked.response.headers["location"] == f"/notices/{notice.id}"
    shown = await warehouse.page(f"/notices/{notice.id}", headers=ENGLISH)
    assert "Batch differs from the notice: quarantined" in shown.text("[data-finding=batch_differs]")
    assert "Received" in shown.text("h1 + p")


async def test_a_count_is_approved_by_a_second_person(signed_in) -> None:
    depot, part, _, _ = await _depot_and_part()
    warehouse: Browser = await signed_in("warehouse")
    opened = await warehouse.submit(
        "/counts", {"depot": depot, "parts": part, "idempotency_key": "count-page-1"}
    )
    assert opened.status == 303, opened.response.text[:2000]
    location = opened.response.headers["location"]
    count = await warehouse.page(location, headers=ENGLISH)
    assert count.css("#count-scan")
    scanned = await warehouse.submit(
        f"{location}/lines",
        {"part_number": part, "serial": "PG-NOT-ON-BOOKS", "idempotency_key": "count-line-1"},
    )
    assert scanned.status == 303
    assert scanned.response.headers["location"].startswith(f"{location}?part=")
    twice = await warehouse.submit(
        f"{location}/lines",
        {"part_number": part, "serial": "PG-NOT-ON-BOOKS", "idempotency_key": "count-line-2"},
        headers=ENGLISH,
    )
    assert twice.status == 409
    closed = await warehouse.submit(f"{location}/close", {"idempotency_key": "count-close-1"})
    assert closed.status == 303
    after = await warehouse.page(location, headers=ENGLISH)
    assert "Unknown serial" in after.text("[data-variance=unknown]")
    assert "Booked in, quarantined" in after.text("[data-variance=unknown]")
    assert "a second person approves it" in after.text("main")
    refused = await warehouse.submit(
        f"{location}/approve", {"idempotency_key": "count-approve-1"}, headers=ENGLISH
    )
    assert refused.status == 403
    assert "A second person must approve this" in refused.text("main")
    admin: Browser = await signed_in("admin")
    approved = await admin.submit(f"{location}/approve", {"idempotency_key": "count-approve-2"})
    assert approved.status == 303
    done = await admin.page(location, headers=ENGLISH)
    assert "Approved" in done.text("#count-status")
    listed = await admin.page(f"/counts?depot={depot}", headers=ENGLISH)
    assert listed.css(f"[data-count='{location.rsplit('/', 1)[1]}']")


async def test_a_return_is_booked_in_and_sent_back_to_the_vendor(signed_in) -> None:
    depot, part, depot_id, part_id = await _depot_and_part()
    ticket = await Ticket.select(Ticket.id).order_by(Ticket.id).first()
    now = datetime.now(UTC)
    [expected] = await DefectiveReturn.insert(
        DefectiveReturn(
            ticket=ticket["id"],
            part=part_id,
            failed_serial="PG-FAILED-1",
            depot=depot_id,
            status="expected",
            expected_by=now,
            created_at=now - timedelta(days=30),
        )
    ).returning(DefectiveReturn.id)
    warehouse: Browser = await signed_in("warehouse")
    overdue = await warehouse.page(f"/returns?depot={depot}&view=overdue", headers=ENGLISH)
    assert "PG-FAILED-1" in overdue.text(f"[data-return='{expected['id']}']")
    assert "Overdue, to chase" in overdue.text(f"[data-return='{expected['id']}']")
    url = f"/returns/{expected['id']}/receive"
    wrong = await warehouse.submit(
        url,
        {"depot": depot, "serial": "PG-OTHER", "grade": "vendor_return", "idempotency_key": "ret-1"},
        headers=ENGLISH,
    )
    assert wrong.status == 422
    assert "The unit handed in is not the failed unit recorded" in wrong.text("main")
    booked = await warehouse.submit(
        url, {"depot": depot, "serial": "PG-FAILED-1", "grade": "vendor_return", "idempotency_key": "ret-2"}
    )
    assert booked.status == 303
    received = await warehouse.page(f"/returns?depot={depot}&view=received", headers=ENGLISH)
    assert "Back to the vendor" in received.text(f"[data-return='{expected['id']}']")
    opened = await warehouse.submit(
        "/vendor-returns",
        {
            "depot": depot,
            "vendor": "OEM",
            "rma_number": "RMA-PG-1",
            "part_number": part,
            "serials": "PG-FAILED-1\n",
            "idempotency_key": "rma-1",
        },
    )
    assert opened.status == 303, opened.response.text[:2000]
    page = await warehouse.page(f"/vendor-returns?depot={depot}", headers=ENGLISH)
    row = page.css("[data-rma]")[0]
    rma = row.attributes["data-rma"]
    assert "RMA-PG-1" in row.text()
    shipped = await warehouse.submit(f"/vendor-returns/{rma}/ship", {"idempotency_key": "rma-ship-1"})
    assert shipped.status == 303
    credited = await warehouse.submit(
        f"/vendor-returns/{rma}/credit", {"note": "CN-1", "idempotency_key": "rma-credit-1"}
    )
    assert credited.status == 303
    final = await warehouse.page(f"/vendor-returns?depot={depot}", headers=ENGLISH)
    assert "Credited" in final.text(f"[data-rma='{rma}']")
    assert "Returned to the vendor" in final.text(f"[data-rma='{rma}']")


async def test_only_warehouse_staff_and_the_administrator_open_them(signed_in) -> None:
    dispatcher: Browser = await signed_in("dispatcher")
    for path in ("/notices", "/counts", "/returns", "/vendor-returns"):
        assert (await dispatcher.page(path)).status == 403, path
    customer: Browser = await signed_in("zhb")
    assert (await customer.page("/counts")).status == 403
    admin: Browser = await signed_in("admin")
    links = [a.attributes["href"] for a in (await admin.page("/counts")).css("nav a")]
    assert {"/notices", "/counts", "/returns"} <= set(links)
