"""The warehouse's searchable lists on the demo: units (with the batch recall), bulk batches, the movement
ledger and goods receipts; filtered, a page at a time, htmx getting the results only, for the warehouse
and the administrator only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from inventory import stock
from inventory.stock.tables import BulkStock, Depot, Movement, Receipt, StockUnit
from inventory.tickets.tables import InstalledPart, Reservation
from tests.pages.conftest import SQLITE_ONLY, Browser

SignedIn = Callable[[str], Awaitable[Browser]]
EN = {"accept-language": "en"}
LISTS = ("/stock/units", "/stock/batches", "/stock/movements", "/receipts")


@SQLITE_ONLY
@pytest.mark.parametrize("path", LISTS)
async def test_the_lists_are_the_warehouse_s_and_the_administrator_s(
    signed_in: SignedIn, anonymous: Browser, path: str
) -> None:
    for username in ("warehouse", "admin"):
        page = await (await signed_in(username)).page(path, headers=EN)
        assert page.status == 200, page.response.text[:2000]
        assert page.first("#scan-code").attributes["name"] == "code"
        assert len(page.css(".data-table tbody tr")) <= 50
    for username in ("dispatcher", "compliance", "zhb"):
        assert (await (await signed_in(username)).page(path)).status == 403
    away = await anonymous.page(path)
    assert away.status == 303


async def _rows(browser: Browser, path: str, *, htmx: bool = False) -> list[list[str]]:
    page = await browser.page(path, htmx=htmx, headers=EN)
    assert page.status == 200, page.response.text[:2000]
    return [
        [" ".join(cell.text(separator=" ").split()) for cell in row.css("td")]
        for row in page.css(".data-table tbody tr")
    ]


@SQLITE_ONLY
async def test_a_batch_recall_lists_every_unit_of_the_batch_wherever_it_is(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    issued = (
        await StockUnit.select(StockUnit.serial, StockUnit.batch_number)
        .where(StockUnit.status == "issued")
        .first()
    )
    assert issued is not None
    batch = issued["batch_number"]
    expected = await StockUnit.select(StockUnit.serial, StockUnit.status).where(
        StockUnit.batch_number == batch
    )
    rows = await _rows(warehouse, f"/stock/units?batch={batch}&limit=500")
    assert sorted(row[0] for row in rows) == sorted(unit["serial"] for unit in expected)
    assert {row[3] for row in rows} == {batch}
    assert "Issued to a customer" in {row[4] for row in rows}
    fitted = (
        await InstalledPart.select(
            InstalledPart.ticket, InstalledPart.ticket.customer.code.as_alias("customer")
        )
        .where(InstalledPart.unit.serial == issued["serial"])
        .order_by(InstalledPart.id, ascending=False)
        .first()
    )
    assert fitted is not None
    [at_customer] = [row for row in rows if row[0] == issued["serial"]]
    assert f"{fitted['customer']}, site" in at_customer[5]
    assert f"ticket {fitted['ticket']}" in at_customer[5]
    page = await warehouse.page(f"/stock/units?batch={batch}", headers=EN)
    assert page.css(f".data-table tbody tr td a[href='/tickets/{fitted['ticket']}']")
    assert page.first(".data-table tbody tr td a").attributes["href"].startswith("/stock/units/")
    assert f"/labels?batch_number={batch}" in page.response.text


@SQLITE_ONLY
async def test_units_filtered_by_depot_and_state_a_page_at_a_time(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    unit = (
        await StockUnit.select(StockUnit.depot.code.as_alias("depot"), StockUnit.box_number)
        .where(StockUnit.status == "available")
        .first()
    )
    assert unit is not None
    depot = unit["depot"]
    first = await warehouse.page(f"/stock/units?depot={depot}&status=available&limit=2", headers=EN)
    rows = await _rows(warehouse, f"/stock/units?depot={depot}&status=available&limit=2")
    assert len(rows) == 2
    for row in rows:
        assert row[4] == "Available"
        assert row[5] == depot
    following = first.first(".pagination a[rel=next]").attributes["href"]
    assert parse_qs(urlsplit(following).query)["offset"] == ["2"]
    assert parse_qs(urlsplit(following).query)["depot"] == [depot]
    second = await _rows(warehouse, following)
    assert second
    assert {row[0] for row in second}.isdisjoint(row[0] for row in rows)
    fragment = await warehouse.page(f"/stock/units?box={unit['box_number']}", htmx=True, headers=EN)
    assert fragment.css("h1") == []
    assert fragment.css(".data-table tbody tr")
    assert (await warehouse.page("/stock/units?status=melted", headers=EN)).status == 422


@SQLITE_ONLY
async def test_bulk_batches_by_depot_a_page_at_a_time(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    row = await BulkStock.select(BulkStock.depot.code.as_alias("depot")).first()
    assert row is not None
    depot = row["depot"]
    count = await BulkStock.count().where(BulkStock.depot.code == depot)
    rows = await _rows(warehouse, f"/stock/batches?depot={depot}&limit=500")
    assert len(rows) == count
    assert {r[1] for r in rows} == {depot}
    one = await warehouse.page(f"/stock/batches?depot={depot}&limit=1", headers=EN)
    if count > 1:
        assert one.first(".pagination a[rel=next]").attributes["href"]
    batch_link = one.first(".data-table tbody tr td:nth-child(3) a").attributes["href"]
    assert batch_link.startswith("/stock/units?batch=")


@SQLITE_ONLY
async def test_movements_by_kind_depot_and_day(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    movement = (
        await Movement.select(
            Movement.at, Movement.to_depot.code.as_alias("depot"), Movement.to_depot.timezone.as_alias("zone")
        )
        .where(Movement.kind == "receipt")
        .first()
    )
    assert movement is not None
    depot = movement["depot"]
    rows = await _rows(warehouse, f"/stock/movements?kind=receipt&depot={depot}", htmx=True)
    assert rows
    assert {row[1] for row in rows} == {"Received from a supplier"}
    assert all(depot in row[6] for row in rows)
    day = movement["at"].astimezone(ZoneInfo(movement["zone"])).date().isoformat()
    same_day = await _rows(warehouse, f"/stock/movements?kind=receipt&depot={depot}&since={day}&until={day}")
    assert same_day
    none_after = await _rows(warehouse, f"/stock/movements?kind=receipt&depot={depot}&since=2999-01-01")
    assert none_after == [["No movements match these filters."]]
    for bad in ("kind=theft", "since=yesterday", "since=2026-12-07&until=2026-12-06"):
        assert (await warehouse.page(f"/stock/movements?{bad}", headers=EN)).status == 422


@SQLITE_ONLY
async def test_goods_receipts_by_supplier_linked_to_their_movements(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    receipt = await Receipt.select(Receipt.id, Receipt.supplier).first()
    assert receipt is not None
    count = await Receipt.count().where(Receipt.supplier == receipt["supplier"])
    rows = await _rows(warehouse, f"/receipts?supplier={receipt['supplier']}&limit=500")
    assert len(rows) == count
    assert {row[2] for row in rows} == {receipt["supplier"]}
    page = await warehouse.page(f"/receipts?supplier={receipt['supplier']}", headers=EN)
    link = page.first(".data-table tbody tr td a").attributes["href"]
    assert link.startswith("/stock/movements?reference=receipt")
    ledger = await _rows(warehouse, link)
    assert ledger
    assert {row[1] for row in ledger} == {"Received from a supplier"}


async def _send_one_of_each_of_two_parts() -> tuple[str, str]:
    """Two transfers from one depot to another, one unit of a different part each: (destination, the
    first part)."""
    units = (
        await StockUnit.select(
            StockUnit.serial,
            StockUnit.part.part_number.as_alias("part_number"),
            StockUnit.depot.code.as_alias("depot"),
        )
        .where(StockUnit.status == "available")
        .order_by(StockUnit.id)
    )
    source = units[0]["depot"]
    chosen: dict[str, str] = {}
    for unit in units:
        if unit["depot"] == source and unit["part_number"] not in chosen:
            chosen[unit["part_number"]] = unit["serial"]
        if len(chosen) == 2:
            break
    destination = (await Depot.select(Depot.code).where(Depot.code != source).first())["code"]
    for part, serial in chosen.items():
        await stock.dispatch_transfer(
            part_number=part, from_depot=source, to_depot=destination, quantity=None, serials=[serial],
            reason="list test", actor="warehouse", now=datetime.now(UTC),
        )  # fmt: skip
    return destination, next(iter(chosen))


@SQLITE_ONLY
async def test_transfers_filtered_by_part_and_status(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    depot, part = await _send_one_of_each_of_two_parts()
    everything = await _rows(warehouse, f"/transfers?depot={depot}")
    assert len(everything) == 2
    rows = await _rows(warehouse, f"/transfers?depot={depot}&part_number={part}", htmx=True)
    assert [(row[1], row[3]) for row in rows] == [(part, depot)]
    assert await _rows(warehouse, f"/transfers?depot={depot}&part_number={part}&status=in_transit") == rows
    received = await _rows(warehouse, f"/transfers?depot={depot}&part_number={part}&status=received")
    assert received == [["No transfers."]]
    assert (await warehouse.page(f"/transfers?depot={depot}&status=lost", headers=EN)).status == 422


@SQLITE_ONLY
async def test_the_pick_list_of_one_part(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    held = (
        await Reservation.select(
            Reservation.depot.code.as_alias("depot"), Reservation.part.part_number.as_alias("part_number")
        )
        .where(Reservation.status == "active")
        .first()
    )
    assert held is not None
    depot, part = held["depot"], held["part_number"]
    count = await Reservation.count().where(
        Reservation.status == "active", Reservation.depot.code == depot, Reservation.part.part_number == part
    )
    rows = await _rows(warehouse, f"/reservations?depot={depot}&part_number={part}&limit=500", htmx=True)
    assert len(rows) == count
    assert all(row[2].startswith(f"{part} ×") for row in rows)
    assert await _rows(warehouse, f"/reservations?depot={depot}&part_number=NO-SUCH-PART") == [
        ["Nothing to pick."]
    ]
