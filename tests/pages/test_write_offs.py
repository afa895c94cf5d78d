"""The write-offs screen: a unit asked to be written off (typed or scanned), listed with its state in
words, approved by a second person only (the unit is then booked out) or rejected; what the service
refuses is said in words beside what was typed; only warehouse staff and the administrator open it."""

from __future__ import annotations

from inventory.stock.queries import find_unit
from inventory.stock.tables import StockUnit
from tests.pages.conftest import Browser

ENGLISH = {"accept-language": "en"}


async def _available_units(count: int) -> list[dict]:
    """Available units of serialized parts, all at one depot: serial, part number and depot."""
    first = (
        await StockUnit.select(StockUnit.depot)
        .where(StockUnit.status == "available")
        .order_by(StockUnit.id)
        .first()
    )
    rows = (
        await StockUnit.select(
            StockUnit.serial,
            StockUnit.part.part_number.as_alias("part_number"),
            StockUnit.depot.code.as_alias("depot"),
        )
        .where((StockUnit.status == "available") & (StockUnit.depot == first["depot"]))
        .order_by(StockUnit.id, ascending=False)
        .limit(count)
    )
    assert len(rows) == count
    return rows


def _asked(unit: dict, key: str, **fields: str) -> dict[str, str]:
    return {
        "depot": unit["depot"],
        "part_number": unit["part_number"],
        "serial": unit["serial"],
        "outcome": "scrapped",
        "reason": "Dropped from the shelf, casing cracked",
        "idempotency_key": key,
        **fields,
    }


async def test_a_write_off_is_asked_for_and_approved_by_a_second_person(signed_in) -> None:
    [unit] = await _available_units(1)
    warehouse: Browser = await signed_in("warehouse")
    screen = await warehouse.page(f"/write-offs?depot={unit['depot']}", headers=ENGLISH)
    assert screen.status == 200
    assert "autofocus" in screen.first("#field-part_number").attributes
    assert screen.first("#field-serial").attributes["autocomplete"] == "off"
    assert screen.texts("#field-outcome option") == ["Scrapped", "Lost"]
    assert "No write-offs at this depot." in screen.text("#write-off-results")
    # A scanner may send the serial with a tab or spaces around it.
    asked = await warehouse.submit(
        "/write-offs", _asked(unit, "wo-ask-1", serial=f" {unit['serial']}\t"), headers=ENGLISH
    )
    assert asked.status == 303, asked.response.text[:2000]
    location = asked.response.headers["location"]
    assert location.startswith(f"/write-offs?depot={unit['depot']}&asked=")
    write_off = location.rsplit("=", 1)[1]
    listed = await warehouse.page(location, headers=ENGLISH)
    assert f"Write-off {write_off} is asked for" in listed.text("#write-off-results [role=status]")
    row = listed.text(f"[data-write-off='{write_off}']")
    assert unit["serial"] in row
    assert unit["part_number"] in row
    assert "Scrapped" in row
    assert "Dropped from the shelf" in row
    assert "Waiting for a second person" in row
    assert "by warehouse" in row
    assert listed.first(f"[data-write-off='{write_off}'] time").attributes["datetime"]
    assert " time" in listed.text(f"[data-write-off='{write_off}'] time")  # the zone named
    assert listed.css(f"[data-write-off='{write_off}'] form[action='/write-offs/{write_off}/approve']")
    assert listed.css(f"[data-write-off='{write_off}'] form[action='/write-offs/{write_off}/reject']")

    refused = await warehouse.submit(
        f"/write-offs/{write_off}/approve", {"idempotency_key": "wo-approve-1"}, headers=ENGLISH
    )
    assert refused.status == 403
    assert "A second person must approve this" in refused.text("main")
    assert (await find_unit(unit["serial"], part_number=unit["part_number"]))["status"] == "available"

    admin: Browser = await signed_in("admin")
    approved = await admin.submit(f"/write-offs/{write_off}/approve", {"idempotency_key": "wo-approve-2"})
    assert approved.status == 303
    assert approved.response.headers["location"] == f"/write-offs?depot={unit['depot']}"
    booked = await find_unit(unit["serial"], part_number=unit["part_number"])
    assert booked["status"] == "scrapped"
    done = await admin.page(f"/write-offs?depot={unit['depot']}", headers=ENGLISH)
    row = done.text(f"[data-write-off='{write_off}']")
    assert "Approved, booked out" in row
    assert "by admin" in row
    assert not done.css(f"[data-write-off='{write_off}'] form")
    again = await admin.submit(
        f"/write-offs/{write_off}/reject", {"idempotency_key": "wo-reject-late"}, headers=ENGLISH
    )
    assert again.status == 409
    assert "This is not possible in its current state" in again.text("main")


async def test_a_refused_write_off_is_said_in_words_with_what_was_typed(signed_in) -> None:
    unit, other = await _available_units(2)
    warehouse: Browser = await signed_in("warehouse")
    unknown = await warehouse.submit(
        "/write-offs", _asked(unit, "wo-bad-1", serial="NO-SUCH-SERIAL", outcome="lost"), headers=ENGLISH
    )
    assert unknown.status == 422
    assert "This breaks a rule of the service" in unknown.text("#write-off-form [role=alert]")
    assert "No unit with this serial is available, quarantined or defective at the depot" in unknown.text(
        "#field-serial-error"
    )
    assert unknown.first("#field-serial").attributes["value"] == "NO-SUCH-SERIAL"
    assert unknown.first("#field-serial").attributes["aria-invalid"] == "true"
    assert unknown.first("#field-reason").attributes["value"] == "Dropped from the shelf, casing cracked"
    assert unknown.first("#field-outcome option[selected]").attributes["value"] == "lost"

    no_reason = await warehouse.submit("/write-offs", _asked(unit, "wo-bad-2", reason=""), headers=ENGLISH)
    assert no_reason.status == 422
    assert "Required" in no_reason.text("#field-reason-error")
    assert no_reason.first("#field-serial").attributes["value"] == unit["serial"]

    asked = await warehouse.submit("/write-offs", _asked(unit, "wo-ok-1"))
    assert asked.status == 303
    write_off = asked.response.headers["location"].rsplit("=", 1)[1]
    twice = await warehouse.submit("/write-offs", _asked(unit, "wo-twice-1"), headers=ENGLISH)
    assert twice.status == 409
    assert "A write-off of this unit is already waiting" in twice.text("#field-serial-error")
    assert "This already exists" in twice.text("#write-off-form [role=alert]")

    # Who asked may withdraw it by rejecting: nothing is booked.
    withdrawn = await warehouse.submit(f"/write-offs/{write_off}/reject", {"idempotency_key": "wo-rej-1"})
    assert withdrawn.status == 303
    listed = await warehouse.page(f"/write-offs?depot={unit['depot']}", headers=ENGLISH)
    assert "Rejected" in listed.text(f"[data-write-off='{write_off}']")
    assert "by warehouse" in listed.text(f"[data-write-off='{write_off}'] td:nth-child(7)")
    assert (await find_unit(unit["serial"], part_number=unit["part_number"]))["status"] == "available"

    # The list is paginated like the other lists, newest first.
    lost = await warehouse.submit("/write-offs", _asked(other, "wo-ok-2", outcome="lost"))
    assert lost.status == 303
    first = await warehouse.page(f"/write-offs?depot={unit['depot']}&limit=1", headers=ENGLISH)
    assert "Lost" in first.text("[data-write-off]")
    assert first.first(".pagination a[rel=next]")
    second = await warehouse.page(f"/write-offs?depot={unit['depot']}&limit=1&offset=1", headers=ENGLISH)
    assert second.first("[data-write-off]").attributes["data-write-off"] == write_off


async def test_only_warehouse_staff_and_the_administrator_open_it(signed_in) -> None:
    [unit] = await _available_units(1)
    for username in ("dispatcher", "zhb"):
        browser: Browser = await signed_in(username)
        assert (await browser.page("/write-offs")).status == 403, username
        assert (await browser.submit("/write-offs", _asked(unit, f"wo-{username}"))).status == 403, username
        assert (await browser.submit("/write-offs/1/approve", {})).status == 403, username
    assert (await find_unit(unit["serial"], part_number=unit["part_number"]))["status"] == "available"
    warehouse: Browser = await signed_in("warehouse")
    counts = await warehouse.page(f"/counts?depot={unit['depot']}", headers=ENGLISH)
    assert counts.css(f"main a[href='/write-offs?depot={unit['depot']}']")
    assert "/write-offs" in [a.attributes["href"] for a in counts.css(".app-nav a")]
    assert (await warehouse.page("/write-offs/999999/approve")).status == 405
    missing = await warehouse.submit("/write-offs/999999/approve", {"idempotency_key": "wo-missing"})
    assert missing.status == 404
