"""A vendor's replacement units received against a shipped return to vendor on the vendor returns screen:
scanned one per line as ``serial box batch`` (spaces, tabs or commas), booked in as available; what the
service refuses is said in words with what was typed kept."""

from __future__ import annotations

from datetime import UTC, datetime

from inventory import quarantine
from inventory.stock.queries import find_unit
from inventory.stock.tables import Depot, Part
from inventory.tickets import ReturnGrade, returns
from inventory.tickets.tables import DefectiveReturn, Ticket
from tests.pages.conftest import Browser

ENGLISH = {"accept-language": "en"}


async def _shipped_return(serial: str, rma_number: str) -> tuple[int, str, str]:
    """A return to vendor of one failed unit, shipped: its id, depot and part number."""
    depot = await Depot.select(Depot.id, Depot.code).order_by(Depot.code).first()
    part = (
        await Part.select(Part.id, Part.part_number)
        .where((Part.serialized == True) & (Part.secure_media == False))  # noqa: E712 - Piccolo builds SQL
        .order_by(Part.part_number)
        .first()
    )
    ticket = await Ticket.select(Ticket.id).order_by(Ticket.id).first()
    now = datetime.now(UTC)
    [expected] = await DefectiveReturn.insert(
        DefectiveReturn(
            ticket=ticket["id"],
            part=part["id"],
            failed_serial=serial,
            depot=depot["id"],
            status="expected",
            expected_by=now,
            created_at=now,
        )
    ).returning(DefectiveReturn.id)
    await returns.receive_return(
        expected["id"],
        depot=depot["code"],
        serial=serial,
        grade=ReturnGrade.VENDOR_RETURN,
        box_number=None,
        batch_number=None,
        actor="warehouse",
        now=now,
        overdue_days=14,
    )
    record = await quarantine.create_vendor_return(
        vendor="OEM",
        rma_number=rma_number,
        depot=depot["code"],
        units=[(part["part_number"], serial)],
        note="",
        actor="warehouse",
        now=now,
    )
    await quarantine.ship_vendor_return(record.id, actor="warehouse", now=now)
    return record.id, depot["code"], part["part_number"]


async def test_replacements_are_received_against_a_shipped_return(signed_in) -> None:
    rma, depot, part = await _shipped_return("PG-RMA-FAILED-1", "RMA-PG-R1")
    warehouse: Browser = await signed_in("warehouse")
    page = await warehouse.page(f"/vendor-returns?depot={depot}", headers=ENGLISH)
    row = f"[data-rma='{rma}']"
    assert "Shipped" in page.text(row)
    assert page.css(f"{row} form[action='/vendor-returns/{rma}/credit']")
    assert "Receive replacements" in page.text(f"{row} details summary")
    assert page.css(f"{row} form[action='/vendor-returns/{rma}/replacements'] textarea[name=units]")
    scanned = "PG-NEW-1\tPG-BX-1\tPG-B-1\r\n\nPG-NEW-2, PG-BX-1, PG-B-1\n  PG-NEW-3  PG-BX-2  PG-B-2  \n"
    received = await warehouse.submit(
        f"/vendor-returns/{rma}/replacements",
        {"part_number": part, "units": scanned, "idempotency_key": "rma-repl-1"},
    )
    assert received.status == 303, received.response.text[:2000]
    assert received.response.headers["location"] == f"/vendor-returns?depot={depot}"
    after = await warehouse.page(f"/vendor-returns?depot={depot}", headers=ENGLISH)
    shown = after.text(row)
    assert "Replaced" in shown
    for serial in ("PG-NEW-1", "PG-NEW-2", "PG-NEW-3"):
        assert f"{serial} (replacement) Available" in shown
    assert "PG-RMA-FAILED-1 Returned to the vendor" in shown
    assert not after.css(f"{row} form")
    unit = await find_unit("PG-NEW-2", part_number=part)
    assert (unit["status"], unit["depot"], unit["box_number"], unit["batch_number"]) == (
        "available",
        depot,
        "PG-BX-1",
        "PG-B-1",
    )
    # The same form sent again lands on the same page without booking twice.
    again = await warehouse.submit(
        f"/vendor-returns/{rma}/replacements",
        {"part_number": part, "units": scanned, "idempotency_key": "rma-repl-1"},
    )
    assert again.status == 303
    # A return already replaced takes no more.
    late = await warehouse.submit(
        f"/vendor-returns/{rma}/replacements",
        {"part_number": part, "units": "PG-NEW-9 PG-BX-9 PG-B-9", "idempotency_key": "rma-repl-2"},
        headers=ENGLISH,
    )
    assert late.status == 409
    assert "This is not possible in its current state" in late.text(f"{row} [role=alert]")


async def test_a_refused_replacement_is_said_in_words_with_what_was_typed(signed_in) -> None:
    rma, depot, part = await _shipped_return("PG-RMA-FAILED-2", "RMA-PG-R2")
    warehouse: Browser = await signed_in("warehouse")
    url = f"/vendor-returns/{rma}/replacements"
    form = f"[data-rma='{rma}'] form[action='{url}']"

    no_batch = "PG-NEW-5 PG-BX-5 PG-B-5\nPG-NEW-6 PG-BX-5\n"
    short = await warehouse.submit(
        url, {"part_number": part, "units": no_batch, "idempotency_key": "bad-1"}, headers=ENGLISH
    )
    assert short.status == 422
    assert "Line 2: scan the serial, the box and the batch" in short.text(f"#replacement-units-{rma}-error")
    assert short.text(f"#replacement-units-{rma}") == "PG-NEW-5 PG-BX-5 PG-B-5 PG-NEW-6 PG-BX-5"
    assert short.first(f"#replacement-part-{rma}").attributes["value"] == part
    assert "open" in short.first(f"[data-rma='{rma}'] details.replacements").attributes

    unknown = await warehouse.submit(
        url,
        {"part_number": "NO-SUCH-PART", "units": "PG-NEW-7 BX B", "idempotency_key": "bad-2"},
        headers=ENGLISH,
    )
    assert unknown.status == 422
    assert "This breaks a rule of the service" in unknown.text(f"{form} [role=alert]")
    assert "Unknown part number" in unknown.text(f"#replacement-part-{rma}-error")
    assert unknown.first(f"#replacement-part-{rma}").attributes["value"] == "NO-SUCH-PART"

    known = await warehouse.submit(
        url,
        {"part_number": part, "units": "PG-NEW-8 BX B\nPG-RMA-FAILED-2 BX B", "idempotency_key": "bad-3"},
        headers=ENGLISH,
    )
    assert known.status == 409
    assert "This already exists" in known.text(f"{form} [role=alert]")
    assert "Serials already known, or scanned twice: PG-RMA-FAILED-2" in known.text(
        f"#replacement-units-{rma}-error"
    )
    assert "PG-NEW-8 BX B" in known.text(f"#replacement-units-{rma}")

    mixed = await warehouse.submit(
        url,
        {"part_number": part, "units": "PG-NEW-8 BX B1\nPG-NEW-9 BX B2", "idempotency_key": "bad-4"},
        headers=ENGLISH,
    )
    assert mixed.status == 422
    assert "A box holds one batch: box BX has several" in mixed.text(f"#replacement-units-{rma}-error")
    with_nothing_booked = await warehouse.page(f"/vendor-returns?depot={depot}", headers=ENGLISH)
    assert "Shipped" in with_nothing_booked.text(f"[data-rma='{rma}']")
    assert "PG-NEW-8" not in with_nothing_booked.text(f"[data-rma='{rma}']")


async def test_only_warehouse_staff_and_the_administrator_receive_replacements(signed_in) -> None:
    rma, _, part = await _shipped_return("PG-RMA-FAILED-3", "RMA-PG-R3")
    fields = {"part_number": f" {part}\t", "units": "PG-NEW-10 BX B", "idempotency_key": "roles-1"}
    for username in ("dispatcher", "zhb"):
        browser: Browser = await signed_in(username)
        assert (await browser.submit(f"/vendor-returns/{rma}/replacements", fields)).status == 403, username
    admin: Browser = await signed_in("admin")
    assert (await admin.submit(f"/vendor-returns/{rma}/replacements", fields)).status == 303
    assert (await find_unit("PG-NEW-10", part_number=part))["status"] == "available"
