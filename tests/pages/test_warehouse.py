"""The warehouse's screens on the demo: the scan box, stock with its CSV, a unit's life, receiving a
delivery by scanning, transfers and the pick list; each for the warehouse and the administrator only."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from inventory import stock, tickets
from inventory.stock.tables import Receipt, StockUnit, Transfer
from inventory.tickets.tables import Reservation
from tests.pages.conftest import SQLITE_ONLY, Browser, Page

SignedIn = Callable[[str], Awaitable[Browser]]
EN = {"accept-language": "en"}
SCREENS = ("/stock", "/receipts/new", "/transfers", "/transfers/new", "/reservations", "/scan")


async def a_unit(status: str = "available", depot: str | None = None) -> dict:
    query = StockUnit.select(
        StockUnit.serial,
        StockUnit.part.part_number.as_alias("part_number"),
        StockUnit.box_number,
        StockUnit.batch_number,
        StockUnit.depot.code.as_alias("depot"),
    ).where(StockUnit.status == status)
    if depot is not None:
        query = query.where(StockUnit.depot.code == depot)
    row = await query.order_by(StockUnit.id).first()
    assert row is not None
    return row


def hidden_state(page: Page) -> dict[str, list[str]]:
    """The hidden fields a scanning screen carries to its next step."""
    fields: dict[str, list[str]] = {}
    for node in page.css("form input[type=hidden]"):
        name = node.attributes.get("name")
        if name and name not in ("_csrf_token", "idempotency_key"):
            fields.setdefault(name, []).append(node.attributes.get("value") or "")
    return fields


async def scan_step(browser: Browser, path: str, fields: dict, state: Page | None = None) -> Page:
    """One step of a scanning screen sent as htmx sends it: the hidden state of ``state`` and ``fields``."""
    data: dict = {**(hidden_state(state) if state else {}), **fields}
    return await browser.submit(path, data, htmx=True, headers=EN)


# --- who may see what ---------------------------------------------------------------------------------


@SQLITE_ONLY
@pytest.mark.parametrize("path", SCREENS)
async def test_the_warehouse_screens_are_the_warehouse_s_and_the_administrator_s(
    signed_in: SignedIn, anonymous: Browser, path: str
) -> None:
    for username in ("warehouse", "admin"):
        page = await (await signed_in(username)).page(path, headers=EN)
        assert page.status == 200, page.response.text[:2000]
        assert page.first("#scan-code").attributes["name"] == "code"
    for username in ("dispatcher", "compliance", "zhb"):
        refused = await (await signed_in(username)).page(path)
        assert refused.status == 403
    away = await anonymous.page(path)
    assert away.status == 303
    assert away.response.headers["location"].startswith("/login?next=")


# --- the scan box -------------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_the_scan_box_jumps_to_what_a_code_names(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    unit = await a_unit()
    jumps = {
        unit["serial"]: f"/stock/units/{unit['serial']}?part_number={unit['part_number']}",
        unit["box_number"]: f"/stock/units?box={unit['box_number']}",
        unit["batch_number"]: f"/stock/units?batch={unit['batch_number']}",
        "pek-c": "/stock?depot=PEK-C",
    }
    for code, place in jumps.items():
        answer = await warehouse.get("/scan", params={"code": code})
        assert answer.status_code == 303, (code, answer.text[:500])
        assert answer.headers["location"] == place
    reservation = (
        await Reservation.select(Reservation.id, Reservation.ticket)
        .where(Reservation.status == "active")
        .first()
    )
    ticket = await warehouse.get("/scan", params={"code": f"T-{reservation['ticket']}"})
    # Staff read tickets (the ticket screens admit every staff role), so a ticket's code opens its page.
    assert ticket.headers["location"] == f"/tickets/{reservation['ticket']}"
    admin = await signed_in("admin")
    assert (await admin.get("/scan", params={"code": str(reservation["ticket"])})).headers[
        "location"
    ] == f"/tickets/{reservation['ticket']}"
    held = await warehouse.get("/scan", params={"code": f"r-{reservation['id']}"})
    target = urlsplit(held.headers["location"])
    assert target.path == "/reservations"
    assert parse_qs(target.query)["highlight"] == [str(reservation["id"])]
    assert target.fragment == f"reservation-{reservation['id']}"
    unknown = await warehouse.page("/scan?code=NO-SUCH-CODE-42", headers=EN)
    assert unknown.status == 404
    assert "Nothing has this code" in unknown.text("[role=status]")
    assert unknown.first("#scan-code").attributes["value"] == "NO-SUCH-CODE-42"


@SQLITE_ONLY
async def test_a_code_that_names_two_things_offers_a_choice(signed_in: SignedIn) -> None:
    unit = await a_unit()
    await stock.receive_stock(
        depot="PEK-C",
        supplier="Test supplier",
        reference="TWO-THINGS",
        lines=[stock.ReceiptLine(unit["part_number"], 1, None, (
            stock.ReceivedUnit(unit["box_number"], "BOX-TWO-THINGS", unit["batch_number"]),
        ))],
        actor="test",
        now=datetime.now().astimezone(),
    )  # fmt: skip
    page = await (await signed_in("warehouse")).page(f"/scan?code={unit['box_number']}", headers=EN)
    assert page.status == 200
    links = [node.attributes["href"] for node in page.css(".choices a")]
    assert links[0].startswith(f"/stock/units/{unit['box_number']}?part_number=")
    assert f"/stock/units?box={unit['box_number']}" in links


# --- stock --------------------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_stock_by_part_and_depot_with_filters(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    page = await warehouse.page("/stock?depot=PEK-C&limit=5", headers=EN)
    assert page.status == 200
    headers = page.texts(".data-table thead th")
    assert headers == ["Part", "Depot", "On hand", "Reserved", "Available", "In transit", "Defective",
                       "Quarantined"]  # fmt: skip
    rows = page.css(".data-table tbody tr")
    assert len(rows) == 5
    assert {row.css("td")[1].text(strip=True) for row in rows} == {"PEK-C"}
    following = urlsplit(page.first("a[rel=next]").attributes["href"])
    assert parse_qs(following.query) == {"depot": ["PEK-C"], "limit": ["5"], "offset": ["5"]}
    searched = await warehouse.page("/stock?q=hdd-sas&limit=500", headers=EN)
    parts = {row.css("td")[0].css_first("strong").text() for row in searched.css(".data-table tbody tr")}
    assert parts
    assert all("HDD-SAS" in part for part in parts)
    short = await warehouse.page("/stock?only=short&limit=500", headers=EN)
    for row in short.css(".data-table tbody tr"):
        assert row.css("td")[4].text(strip=True) == "None"
    fragment = await warehouse.page("/stock?depot=SHA-C&limit=3", htmx=True)
    assert "<html" not in fragment.response.text
    assert fragment.response.headers["hx-push-url"] == "/stock?depot=SHA-C&limit=3"
    assert len(fragment.css(".data-table tbody tr")) == 3
    nothing = await warehouse.page("/stock?q=no-such-part-anywhere", headers=EN)
    assert "No stock matches these filters." in nothing.text(".data-table tbody")
    bad = await warehouse.page("/stock?only=everything", headers=EN)
    assert bad.status == 422


@SQLITE_ONLY
async def test_the_stock_csv_is_the_filtered_view_whole(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    answer = await warehouse.get("/stock.csv", params={"depot": "PEK-C"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith("\ufeff".encode()), "a byte order mark, for spreadsheet programs"
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    expected = await stock.stock_overview(depot="PEK-C", limit=100_000)
    assert [(r["part_number"], r["depot"]) for r in rows] == [(r.part_number, r.depot) for r in expected]
    first = rows[0]
    assert int(first["available"]) == int(first["on_hand"]) - int(first["reserved"])
    assert datetime.fromisoformat(first["as_of"]).utcoffset().total_seconds() == 8 * 3600
    assert first["as_of"].endswith("+08:00")
    same = await warehouse.get("/stock", params={"depot": "PEK-C", "format": "csv"})
    same_rows = list(csv.DictReader(io.StringIO(same.content.decode("utf-8-sig"))))
    # Each export is stamped with its own moment; everything else is the same view.
    assert [{**r, "as_of": ""} for r in same_rows] == [{**r, "as_of": ""} for r in rows]


async def test_the_csv_reads_past_one_query_page(
    signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.pages import warehouse as pages

    monkeypatch.setattr(pages, "CSV_PAGE", 7)
    answer = await (await signed_in("admin")).get("/stock.csv", params={"q": "ssd"})
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    expected = await stock.stock_overview(search="ssd", limit=100_000)
    assert len(rows) == len(expected) > 7
    assert [(r["part_number"], r["depot"]) for r in rows] == [(r.part_number, r.depot) for r in expected]


# --- a unit's life ------------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_a_unit_s_life_as_a_timeline(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    issued = await a_unit("issued")
    page = await warehouse.page(f"/stock/units/{issued['serial']}", headers=EN)
    assert page.status == 200
    assert issued["part_number"] in page.text(".facts")
    assert "Issued to a customer" in page.text(".facts")
    steps = page.texts(".timeline > li")
    assert "Received from a supplier" in steps[0]
    assert "(Beijing time)" in steps[0] or "(China" in steps[0]
    assert any("Issued for a ticket" in step for step in steps)
    assert all("Audit entry" in step for step in steps), steps
    assert page.css("#installed-heading")
    assert "T-" in page.text("#reservations-heading + .table-scroll")
    times = page.css(".timeline time")
    assert all(datetime.fromisoformat(node.attributes["datetime"]).tzinfo for node in times)
    missing = await warehouse.page("/stock/units/NO-SUCH-SERIAL", headers=EN)
    assert missing.status == 404


# --- receiving a delivery -----------------------------------------------------------------------------


async def test_receiving_a_delivery_by_scanning(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    known = await a_unit()
    part = known["part_number"]
    prefix = known["serial"][:3]
    form = await warehouse.page("/receipts/new?depot=SHA-C", headers=EN)
    assert "autofocus" in form.first("#field-supplier").attributes
    assert form.first("#field-depot option[selected]").attributes["value"] == "SHA-C"
    base = {"depot": "SHA-C", "supplier": "Test OEM", "reference": "DN-PAGES-1"}
    page = await scan_step(warehouse, "/receipts/new", {**base, "scan": "BX-PAGES-1"})
    assert page.status == 200
    assert "<html" not in page.response.text
    assert page.first("#field-box_number").attributes["value"] == "BX-PAGES-1"
    assert "Scan the part number" in page.text("label[for=field-scan]")
    page = await scan_step(
        warehouse, "/receipts/new", {**base, "box_number": "BX-PAGES-1", "scan": "NOPE"}, page
    )
    assert "Not a known part number" in page.text("[role=status]")
    box = {**base, "box_number": "BX-PAGES-1", "part_number": part, "expected": "3"}
    page = await scan_step(warehouse, "/receipts/new", {**box, "scan": "B-PAGES-1"}, page)
    box["batch_number"] = "B-PAGES-1"
    assert "Scan a serial" in page.text("label[for=field-scan]")
    for serial in (f"{prefix}PAGES0001", f"{prefix}PAGES0002"):
        page = await scan_step(warehouse, "/receipts/new", {**box, "scan": serial}, page)
    assert page.text("#count-scanned") == "2"
    assert "2 of 3" in page.text(f"#receipt-counters [data-part='{part}']")
    page = await scan_step(warehouse, "/receipts/new", {**box, "scan": f"{prefix}PAGES0002"}, page)
    assert "Scanned twice" in page.text("tr.line--error")
    page = await scan_step(warehouse, "/receipts/new", {**box, "scan": "ZZZ-WRONG-PART-9"}, page)
    assert "Does not look like this part's serials" in page.text(".line--warning")
    page = await scan_step(warehouse, "/receipts/new", {**box, "scan": known["serial"]}, page)
    assert "Already known for this part" in page.text(f"tr[data-serial='{known['serial']}']")
    refused = await warehouse.submit("/receipts", {**hidden_state(page), **box}, htmx=True, headers=EN)
    assert refused.status == 422
    assert "Some lines have errors" in refused.text("[role=status]")
    assert await StockUnit.count().where(StockUnit.box_number == "BX-PAGES-1") == 0
    # Remove the duplicate and the known serial (the two newest error lines), keep the warning.
    units = [json.loads(value) for value in hidden_state(page)["unit"]]
    serials = [unit["serial"] for unit in units]
    for serial in (known["serial"], f"{prefix}PAGES0002"):
        index = len(serials) - 1 - serials[::-1].index(serial)
        page = await scan_step(warehouse, "/receipts/new", {**box, "remove": str(index)}, page)
        serials.pop(index)
    assert page.text("#count-scanned") == "3"
    fields = {**hidden_state(page), **box, "idempotency_key": "receipt-pages-1"}
    booked = await warehouse.submit("/receipts", fields, htmx=True)
    assert booked.status == 204, booked.response.text[:2000]
    location = booked.response.headers["hx-redirect"]
    assert location.startswith("/receipts/new?depot=SHA-C&done=")
    again = await warehouse.submit("/receipts", fields, htmx=True)
    assert again.response.headers["hx-redirect"] == location
    assert await Receipt.count().where(Receipt.reference == "DN-PAGES-1") == 1
    assert await StockUnit.count().where(StockUnit.box_number == "BX-PAGES-1") == 3
    done = await warehouse.page(location, headers=EN)
    assert "3 units or items" in done.text("#receipt-done")
    other_box = {"serial": f"{prefix}PAGES0009", "part": part, "box": "BX-PAGES-2", "batch": "B-PAGES-2"}
    duplicate = await warehouse.submit(
        "/receipts",
        {**base, "unit": json.dumps(other_box), "idempotency_key": "receipt-pages-2"},
        htmx=True,
        headers=EN,
    )
    assert duplicate.status == 409
    assert duplicate.response.headers["hx-retarget"] == "#problem"
    assert "This delivery was already received" in duplicate.text("[role=alert]")
    assert await StockUnit.count().where(StockUnit.box_number == "BX-PAGES-2") == 0


@SQLITE_ONLY
async def test_a_receipt_without_its_csrf_token_or_delivery_note_is_refused(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    unit = {"serial": "X1", "part": "P", "box": "B", "batch": "C"}
    forged = await warehouse.submit("/receipts", {"depot": "PEK-C", "unit": json.dumps(unit)}, csrf=False)
    assert forged.status == 403
    empty = await warehouse.submit("/receipts", {"depot": "PEK-C"}, headers=EN)
    assert empty.status == 422
    assert "Enter the supplier and the delivery note number." in empty.text("[role=status]")
    garbled = await warehouse.submit("/receipts/new", {"depot": "PEK-C", "unit": "{not json"}, headers=EN)
    assert garbled.status == 422


@SQLITE_ONLY
async def test_a_counted_part_is_received_by_quantity(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    bulk_part = next(
        p for p in await stock.list_parts(category=None, limit=500, offset=0) if not p.serialized
    )
    box = {"depot": "CAN-R", "supplier": "Cables Inc", "reference": "DN-BULK-1", "box_number": "CARTON-1",
           "part_number": bulk_part.part_number, "batch_number": "LOT-1"}  # fmt: skip
    page = await scan_step(warehouse, "/receipts/new", {**box, "scan": "SOMETHING"})
    assert "counted, not serialized" in page.text("[role=status]")
    page = await scan_step(warehouse, "/receipts/new", {**box, "action": "quantity", "quantity": "25"}, page)
    assert page.text("#count-scanned") == "25"
    booked = await warehouse.submit("/receipts", {**hidden_state(page), **box})
    assert booked.status == 303
    levels = await stock.stock_overview(depot="CAN-R", search=bulk_part.part_number, limit=5)
    assert levels[0].on_hand >= 25


# --- transfers ----------------------------------------------------------------------------------------


async def test_a_transfer_dispatched_and_received_by_scanning(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    units = (
        await StockUnit.select(StockUnit.serial, StockUnit.part.part_number.as_alias("part_number"))
        .where((StockUnit.status == "available") & (StockUnit.depot.code == "PEK-C"))
        .order_by(StockUnit.id)
        .limit(3)
    )
    part = units[0]["part_number"]
    serials = [u["serial"] for u in units if u["part_number"] == part][:2]
    assert len(serials) == 2
    base = {"from_depot": "PEK-C", "to_depot": "XIY-R", "reason": "rebalance"}
    page = await scan_step(warehouse, "/transfers/new", {**base, "scan": part})
    assert page.first("#field-part_number").attributes["value"] == part
    fields = {**base, "part_number": part}
    for serial in [*serials, "NOT-A-UNIT-9"]:
        page = await scan_step(warehouse, "/transfers/new", {**fields, "scan": serial}, page)
    assert "No unit has this serial" in page.text("tr.line--error")
    refused = await warehouse.submit("/transfers", {**hidden_state(page), **fields}, htmx=True, headers=EN)
    assert refused.status == 422
    page = await scan_step(warehouse, "/transfers/new", {**fields, "remove": "2"}, page)
    sent = await warehouse.submit("/transfers", {**hidden_state(page), **fields})
    assert sent.status == 303, sent.response.text[:2000]
    transfer_id = int(sent.response.headers["location"].split("/")[2].split("?")[0])
    outbound = await warehouse.page("/transfers?depot=PEK-C&view=outbound", headers=EN)
    assert f"Transfer {transfer_id}" in outbound.text(".data-table tbody")
    inbound = await warehouse.page("/transfers?depot=XIY-R", headers=EN)
    assert f"Transfer {transfer_id}" in inbound.text(".data-table tbody")
    path = f"/transfers/{transfer_id}"
    shown = await warehouse.page(path, headers=EN)
    assert "In transit" in shown.text(".facts")
    nothing = await warehouse.submit(f"{path}/receive", {}, headers=EN)
    assert nothing.status == 422
    page = await scan_step(warehouse, path, {"scan": "NOT-IN-IT"})
    assert "Not in this transfer" in page.text("tr.line--error")
    page = await scan_step(warehouse, path, {"remove": "0"}, page)
    page = await scan_step(warehouse, path, {"scan": serials[0]}, page)
    assert "1 of 2" in page.text(".counters")
    landed = await warehouse.submit(f"{path}/receive", hidden_state(page))
    assert landed.status == 303
    record = await stock.get_transfer(transfer_id)
    assert record.status == "partially_received"
    assert [line.received for line in record.lines] == [True, False]
    page = await scan_step(warehouse, path, {"scan": serials[0]})
    assert "Already received" in page.text("tr.line--error")
    done = await warehouse.page("/transfers?depot=XIY-R&view=done", headers=EN)
    assert await Transfer.count().where(Transfer.id == transfer_id) == 1
    assert done.status == 200


# --- picking ------------------------------------------------------------------------------------------


async def test_the_pick_list_issues_and_releases(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    held = (
        await Reservation.select(Reservation.depot.code.as_alias("depot"))
        .where(Reservation.status == "active")
        .first()
    )
    depot = held["depot"]
    page = await warehouse.page(f"/reservations?depot={depot}", headers=EN)
    rows = page.css(".data-table tbody tr")
    assert rows
    dues = [datetime.fromisoformat(row.css_first("time").attributes["datetime"]) for row in rows]
    assert dues == sorted(dues)
    listed = await tickets.depot_pick_list(depot, limit=50)
    first, second = listed[0], listed[1] if len(listed) > 1 else None
    assert page.first(f"#reservation-{first.id}")
    assert first.site_name in page.text(f"#reservation-{first.id}")
    released = await warehouse.submit(f"/reservations/{first.id}/release", {"idempotency_key": "rel-1"})
    assert released.status == 303
    assert f"highlight={first.id}" in released.response.headers["location"]
    assert (await tickets.get_reservation(first.id, viewer=None)).status == "released"
    after = await warehouse.page(released.response.headers["location"], headers=EN)
    assert "released" in after.text("[role=status]")
    again = await warehouse.submit(
        f"/reservations/{first.id}/release", {"idempotency_key": "rel-2"}, headers=EN
    )
    assert again.status == 409
    assert "This is not possible in its current state" in again.text("[role=alert]")
    if second is not None:
        issued = await warehouse.submit(f"/reservations/{second.id}/issue", {"idempotency_key": "iss-1"})
        assert issued.status == 303
        assert (await tickets.get_reservation(second.id, viewer=None)).status == "issued"
    refused = await (await signed_in("dispatcher")).submit(f"/reservations/{first.id}/release", {})
    assert refused.status == 403


@SQLITE_ONLY
async def test_the_pick_list_of_one_ticket_and_a_fragment(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    held = (
        await Reservation.select(Reservation.id, Reservation.ticket)
        .where(Reservation.status == "active")
        .first()
    )
    page = await warehouse.page(f"/reservations?ticket={held['ticket']}", headers=EN)
    assert page.first(f"#reservation-{held['id']}")
    assert f"T-{held['ticket']}" in page.text("caption")
    fragment = await warehouse.page("/reservations?depot=PEK-C", htmx=True)
    assert "<html" not in fragment.response.text
    assert fragment.css(".data-table")
