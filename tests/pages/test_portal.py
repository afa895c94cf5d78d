"""The customer portal on the demo: a customer's own tickets, assets, retained media and certificates;
reporting a fault and requesting a replacement part through the same services as the API, with the
entitlement check and the domain's refusals in words; 403 for staff, 404 for another company's objects."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from inventory.issuing import issue
from inventory.secure_media.tables import RetentionRecord
from inventory.tickets import add_note, get_ticket, ticket_reservations
from inventory.tickets.tables import ReplacementRequest, Reservation, Ticket
from tests.pages.conftest import SQLITE_ONLY, STAFF, Browser, Page

SignedIn = Callable[[str], Awaitable[Browser]]
ENGLISH = {"accept-language": "en"}
ZHB_ASSETS = ["ZHB-ARR-0001", "ZHB-SRV-0101", "ZHB-SRV-0202"]
ZHB_OPEN_TICKET = "Array reports two failed SAS disks in one RAID group"
HSG_OPEN_TICKET = "Power supply 2 failed, server running on one PSU"


async def ticket_id(summary: str) -> int:
    """The demo's open ticket with this summary."""
    row = (
        await Ticket.select(Ticket.id)
        .where((Ticket.summary == summary) & (Ticket.status == "open"))
        .order_by(Ticket.id)
        .first()
    )
    return row["id"]


async def retention_ids(customer: str) -> list[int]:
    rows = (
        await RetentionRecord.select(RetentionRecord.id)
        .where(RetentionRecord.customer.code == customer)
        .order_by(RetentionRecord.id)
    )
    return [row["id"] for row in rows]


def form_key(page: Page, form: str) -> dict[str, str]:
    """The hidden fields of a rendered form (its idempotency key)."""
    return {
        node.attributes["name"]: node.attributes["value"] or ""
        for node in page.css(f"{form} input[type=hidden]")
        if node.attributes.get("name") == "idempotency_key"
    }


# --- reading (SQLite) -----------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_the_home_shows_the_companys_own_open_tickets_and_assets(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    page = await zhb.page("/portal", headers=ENGLISH)
    assert page.status == 200
    tickets = page.texts("#my-tickets article")
    assert any(ZHB_OPEN_TICKET in text for text in tickets)
    assert not any(HSG_OPEN_TICKET in text for text in tickets)
    ticket = next(text for text in tickets if ZHB_OPEN_TICKET in text)
    assert "Critical" in ticket
    assert "Beijing time" in ticket
    assert "Part arriving" in ticket  # the demo reserved a disk for it
    assert re.search(r"(in \d|ago)", ticket)  # the countdown, as a relative time
    assert page.texts("#my-assets article h3") == ZHB_ASSETS
    assets = page.text("#my-assets")
    assert "In warranty" in assets
    assert "Platinum" in page.text(".portal-contract")
    assert page.first("a[href='/portal/retentions']")  # a classified customer


@SQLITE_ONLY
async def test_the_home_in_chinese_and_for_a_customer_that_keeps_no_media(signed_in: SignedIn) -> None:
    xtc = await signed_in("xtc")
    page = await xtc.page("/portal")
    assert page.status == 200
    assert page.text("h1") == "我的服务"
    assert "北京时间" in page.text("#my-tickets")
    assert not page.css("a[href='/portal/retentions']")
    assert all(serial.startswith("XTC-") for serial in page.texts("#my-assets article h3"))
    kept = await xtc.page("/portal/retentions", headers=ENGLISH)
    assert kept.status == 200
    assert "keeps none" in kept.text("main")


@SQLITE_ONLY
async def test_the_tickets_are_a_fragment_for_htmx(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    fragment = await zhb.page("/portal", htmx=True)
    assert fragment.status == 200
    assert "<html" not in fragment.response.text
    section = fragment.first("section#my-tickets")
    assert section.attributes["hx-trigger"] == "every 60s"
    assert section.attributes["hx-target"] == "this"
    assert not fragment.css("#my-assets")
    progress = await zhb.page(f"/portal/tickets/{await ticket_id(ZHB_OPEN_TICKET)}", htmx=True)
    assert "<html" not in progress.response.text
    assert len(progress.css("section#progress .portal-milestone")) == 4


@SQLITE_ONLY
@pytest.mark.parametrize("username", STAFF)
async def test_staff_may_not_open_the_portal(signed_in: SignedIn, username: str) -> None:
    staff = await signed_in(username)
    ticket = await ticket_id(ZHB_OPEN_TICKET)
    for path in ("/portal", "/portal/tickets/new", f"/portal/tickets/{ticket}", "/portal/retentions"):
        page = await staff.page(path, headers=ENGLISH)
        assert page.status == 403, path
        assert "You may not open this page" in page.text("[role=alert]")


@SQLITE_ONLY
async def test_another_companys_objects_are_not_found(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    theirs = await ticket_id(HSG_OPEN_TICKET)
    record = (await retention_ids("HSG"))[0]
    for path in (
        f"/portal/tickets/{theirs}",
        "/portal/assets/HSG-SRV-0007",
        f"/portal/retentions/{record}/certificate",
        "/portal/tickets/999999",
    ):
        page = await zhb.page(path, headers=ENGLISH)
        assert page.status == 404, path
        assert "Not found" in page.text("[role=alert]")
    refused = await zhb.submit(
        f"/portal/tickets/{theirs}/replacement-requests",
        {"part_number": "PSU-800W-PLATINUM", "quantity": "1"},
    )
    assert refused.status == 404


@SQLITE_ONLY
async def test_a_ticket_shows_its_progress_delivery_entitlement_and_history(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    page = await zhb.page(f"/portal/tickets/{await ticket_id(ZHB_OPEN_TICKET)}", headers=ENGLISH)
    assert page.status == 200
    milestones = page.texts("#progress .portal-milestone")
    assert [text.split(" ")[0] for text in milestones] == ["Response", "Engineer", "Service", "Replacement"]
    assert "Parts within 4 hours" in page.text("#delivery")
    parts = page.texts("#delivery .portal-shipment")
    assert len(parts) == 1
    assert "HDD-SAS-1T2-10K" in parts[0]
    assert "Reserved for you at the depot" in parts[0]
    assert "Once handed out" in parts[0]  # no serial before it is handed out
    assert "Beijing time" in parts[0]
    entitlement = page.text("#replacement")
    assert "Platinum: with parts priority" in entitlement
    assert "You may ask for a part held for a less urgent ticket" in entitlement  # a critical fault
    assert "In warranty" in entitlement
    assert "Free of charge" in entitlement
    assert page.text("#entitlement-result").startswith("Granted")
    assert page.first("#replacement-form input[name=idempotency_key]")
    history = page.texts("#history li")
    assert history[0].endswith("Fault reported")
    assert any("Reserved for you at the depot" in line for line in history)
    assert all(node.attributes.get("datetime") for node in page.css("#history time"))


@SQLITE_ONLY
async def test_the_serial_shows_once_the_part_is_handed_out(signed_in: SignedIn, clock) -> None:
    ticket = await ticket_id(ZHB_OPEN_TICKET)
    (reservation,) = await ticket_reservations(ticket, viewer=None)
    issued = await issue(reservation.id, serial=None, failed_serial=None, actor="warehouse", now=clock())
    zhb = await signed_in("zhb")
    page = await zhb.page(f"/portal/tickets/{ticket}", headers=ENGLISH)
    (part,) = page.texts("#delivery .portal-shipment")
    assert "Handed out for your ticket" in part
    assert issued.serials[0] in part
    assert any("Handed out for your ticket" in line for line in page.texts("#history li"))


@SQLITE_ONLY
async def test_a_closed_ticket_is_refused_in_words(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    kept = await RetentionRecord.select(RetentionRecord.ticket).where(RetentionRecord.id == 1).first()
    closed = kept["ticket"]  # the demo's tickets whose failed disk is kept are closed
    page = await zhb.page(f"/portal/tickets/{closed}", headers=ENGLISH)
    assert page.status == 200
    assert "Refused" in page.text("#entitlement-result")
    assert "The ticket is closed." in page.text("#entitlement-result")
    assert not page.css("#replacement-form")
    sent = await zhb.submit(
        f"/portal/tickets/{closed}/replacement-requests",
        {"part_number": "HDD-SAS-1T2-10K", "quantity": "1"},
        headers=ENGLISH,
    )
    assert sent.status == 303  # kept, refused with the rule
    shown = await zhb.page(sent.response.headers["location"].split("#")[0], headers=ENGLISH)
    card = shown.text("[id^=request-] article")
    assert "Refused" in card
    assert "The ticket is closed." in card


@SQLITE_ONLY
async def test_an_asset_shows_its_warranty_downtime_and_tickets(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    page = await zhb.page("/portal/assets/ZHB-ARR-0001", headers=ENGLISH)
    assert page.status == 200
    facts = page.text(".portal-facts")
    assert "5-year warranty from acceptance" in facts
    assert page.first("#warranty-base-end time").attributes["datetime"] == "2029-03-18"
    assert "In warranty" in facts
    assert "Free of charge" in facts
    downtime = page.texts("table tbody tr")
    assert downtime
    assert any("Yes: it extends the warranty" in row for row in downtime)
    requests = page.css("a[href$='#replacement']")
    assert [node.attributes["href"] for node in requests] == [
        f"/portal/tickets/{await ticket_id(ZHB_OPEN_TICKET)}#replacement"
    ]
    assert page.first("a[href='/portal/tickets/new?asset=ZHB-ARR-0001']")


@SQLITE_ONLY
async def test_a_classified_customer_sees_its_kept_media_and_certificates(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    page = await zhb.page("/portal/retentions", headers=ENGLISH)
    assert page.status == 200
    rows = page.texts("#kept article")
    ids = await retention_ids("ZHB")
    assert len(rows) == len(ids) == 4
    text = " ".join(rows)
    assert "Kept by you, not yet destroyed" in text
    assert "Destruction verified" in text
    assert re.search(r"\(\d+ d\)", text)
    links = [node.attributes["href"] for node in page.css("a[download]")]
    assert sorted(links) == sorted(f"/portal/retentions/{record}/certificate" for record in ids)
    certificate = await zhb.get(links[0])
    assert certificate.status_code == 200
    assert certificate.headers["content-type"].startswith("text/html")
    assert "介质净化证书" in certificate.text, "in the customer's language (Chinese by default)"
    assert "北京时间" in certificate.text
    english = await zhb.get(links[0], headers=ENGLISH)
    assert "Certificate of media sanitization" in english.text


# --- forms (both engines) ---------------------------------------------------------------------------------


async def test_a_customer_reports_a_fault_on_its_asset(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    form = await zhb.page("/portal/tickets/new?asset=ZHB-SRV-0202", headers=ENGLISH)
    assert form.status == 200
    options = [node.attributes["value"] for node in form.css("select[name=asset_serial] option")]
    assert options == ["", *ZHB_ASSETS]
    assert form.first("option[selected]").attributes["value"] == "ZHB-SRV-0202"
    assert "Big impact on your core business" in form.text("fieldset")
    fields = {"asset_serial": "ZHB-SRV-0202", "severity": "major", "summary": "Fan 2 is noisy"}
    sent = await zhb.submit("/portal/tickets", fields | form_key(form, "#ticket-form"))
    assert sent.status == 303
    location = sent.response.headers["location"]
    assert re.fullmatch(r"/portal/tickets/\d+\?opened=1", location)
    again = await zhb.submit("/portal/tickets", fields | form_key(form, "#ticket-form"))
    assert again.response.headers["location"] == location  # the same form sent twice opens one ticket
    page = await zhb.page(location, headers=ENGLISH)
    assert "Fan 2 is noisy" in page.text("hgroup")
    assert "Your ticket is open" in page.text("main")
    assert "Shanghai disaster recovery" in page.text(".portal-facts")
    assert page.texts("#progress .badge") == ["Pending"] * 4


async def test_a_customer_requests_a_replacement_part(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    ticket = await ticket_id(ZHB_OPEN_TICKET)
    page = await zhb.page(f"/portal/tickets/{ticket}", headers=ENGLISH)
    choices = [
        node.attributes["value"] for node in page.css("#field-part_number option") if node.attributes["value"]
    ]
    assert "HDD-SAS-1T2-10K" in choices  # the array's bill of parts
    assert "PSU-800W-PLATINUM" not in choices
    assert "Available for 4-hour delivery" in page.text("#field-part_number")
    fields = {"part_number": "HDD-SAS-1T2-10K", "quantity": "1"} | form_key(page, "#replacement-form")
    sent = await zhb.submit(f"/portal/tickets/{ticket}/replacement-requests", fields)
    assert sent.status == 303
    location = sent.response.headers["location"]
    found = re.fullmatch(rf"/portal/tickets/{ticket}\?request=(\d+)#replacement", location)
    assert found
    shown = await zhb.page(location.split("#")[0], headers=ENGLISH)
    card = shown.text(f"#request-{found.group(1)}")
    assert "Your request was recorded" in card
    assert "Approved: the part is reserved for you" in card
    assert "Free of charge" in card
    assert len(shown.css("#delivery .portal-shipment")) == 2
    by_htmx = await zhb.submit(
        f"/portal/tickets/{ticket}/replacement-requests",
        {"part_number": "HDD-SAS-1T2-10K", "quantity": "1", "idempotency_key": "htmx-1"},
        htmx=True,
    )
    assert by_htmx.status == 204
    assert by_htmx.response.headers["hx-redirect"].startswith(f"/portal/tickets/{ticket}?request=")

    withdraw = shown.first(f"#request-{found.group(1)} form[action$='/withdraw']")
    key = {"idempotency_key": withdraw.css_first("input[name=idempotency_key]").attributes["value"]}
    withdrawn = await zhb.submit(withdraw.attributes["action"], key)
    assert withdrawn.status == 303
    after = await zhb.page(withdrawn.response.headers["location"].split("#")[0], headers=ENGLISH)
    assert "Withdrawn" in after.text(f"#request-{found.group(1)} .request-state")
    assert any("Reservation released" in line for line in after.texts("#history li"))


async def test_a_request_whose_part_left_the_depot_is_no_longer_offered_for_withdrawal(
    signed_in: SignedIn,
) -> None:
    """Once its carrier has picked the part up, the request says in words that the part is on its way and
    can no longer be withdrawn, instead of offering a withdrawal that would be refused."""
    from inventory.tickets import PICKED, part_moved
    from inventory.tickets.fulfilment import VAN, Way, commit_ways

    zhb = await signed_in("zhb")
    ticket = await ticket_id(ZHB_OPEN_TICKET)
    page = await zhb.page(f"/portal/tickets/{ticket}", headers=ENGLISH)
    fields = {"part_number": "HDD-SAS-1T2-10K", "quantity": "1"} | form_key(page, "#replacement-form")
    sent = await zhb.submit(f"/portal/tickets/{ticket}/replacement-requests", fields)
    assert sent.status == 303
    request_id = int(re.search(r"request=(\d+)", sent.response.headers["location"]).group(1))
    card = f"#request-{request_id}"
    before = await zhb.page(f"/portal/tickets/{ticket}", headers=ENGLISH)
    assert before.first(f"{card} form[action$='/withdraw']")
    assert "on its way" not in before.text(card)

    row = (
        await ReplacementRequest.select(ReplacementRequest.reservation)
        .where(ReplacementRequest.id == request_id)
        .first()
    )
    reservation, now = row["reservation"], datetime.now(UTC)
    await commit_ways(
        7,
        [Way(ticket, reservation, VAN, f"W{reservation}", "PEK-V1", now + timedelta(hours=2))],
        replacing=[],
        actor="d",
        now=now,
    )
    assert await part_moved(7, {f"W{reservation}"}, PICKED, at=now, now=now) == [reservation]

    after = await zhb.page(f"/portal/tickets/{ticket}", headers=ENGLISH)
    assert "Approved: the part is reserved for you" in after.text(card)
    assert not after.css(f"{card} form[action$='/withdraw']")
    assert "The part has left the depot and is on its way: the request can no longer be withdrawn." in (
        after.text(f"{card} .request-shipped")
    )
    chinese = await zhb.page(f"/portal/tickets/{ticket}", headers={"accept-language": "zh-CN"})
    assert not chinese.css(f"{card} form[action$='/withdraw']")
    assert "备件已出库，正在送达途中：此申请已无法撤回。" in chinese.text(f"{card} .request-shipped")


async def test_a_post_warranty_request_shows_its_charge_and_waits_for_acceptance(signed_in: SignedIn) -> None:
    hsg = await signed_in("hsg")
    ticket = await ticket_id(HSG_OPEN_TICKET)
    page = await hsg.page(f"/portal/tickets/{ticket}", headers=ENGLISH)
    fields = {"part_number": "FAN-1U-STD", "quantity": "2"} | form_key(page, "#replacement-form")
    sent = await hsg.submit(f"/portal/tickets/{ticket}/replacement-requests", fields)
    assert sent.status == 303
    shown = await hsg.page(sent.response.headers["location"].split("#")[0], headers=ENGLISH)
    card = shown.first("[id^=request-] .request-charge")
    assert "Charged at cost" in card.text()
    assert "CNY" in card.text()
    accept = shown.first("form[action$='/accept']")
    assert accept
    key = {"idempotency_key": accept.css_first("input[name=idempotency_key]").attributes["value"]}
    accepted = await hsg.submit(accept.attributes["action"], key)
    assert accepted.status == 303
    after = await hsg.page(accepted.response.headers["location"].split("#")[0], headers=ENGLISH)
    assert not after.css("form[action$='/accept']")
    assert any("You accepted the charge" in line for line in after.texts("#history li"))


async def test_the_charge_and_its_acceptance_in_chinese(signed_in: SignedIn) -> None:
    hsg = await signed_in("hsg")
    ticket = await ticket_id(HSG_OPEN_TICKET)
    chinese = {"accept-language": "zh-CN"}
    page = await hsg.page(f"/portal/tickets/{ticket}", headers=chinese)
    fields = {"part_number": "FAN-1U-STD", "quantity": "1"} | form_key(page, "#replacement-form")
    sent = await hsg.submit(f"/portal/tickets/{ticket}/replacement-requests", fields)
    assert sent.status == 303
    shown = await hsg.page(sent.response.headers["location"].split("#")[0], headers=chinese)
    assert "按成本收费" in shown.first("[id^=request-] .request-charge").text()
    assert "接受费用" in shown.first("form[action$='/accept']").text()
    assert shown.first("html").attributes["lang"].startswith("zh")


async def test_a_customer_adds_a_note_and_reads_only_visible_ones(signed_in: SignedIn, clock) -> None:
    ticket = await ticket_id(ZHB_OPEN_TICKET)
    await add_note(
        ticket, "Internal: check the PDU", customer_visible=False, actor="dispatcher", role="dispatcher",
        viewer=None, now=clock(),
    )  # fmt: skip
    zhb = await signed_in("zhb")
    page = await zhb.page(f"/portal/tickets/{ticket}", headers=ENGLISH)
    sent = await zhb.submit(
        f"/portal/tickets/{ticket}/notes", {"body": "Rack B7"} | form_key(page, "#note-form")
    )
    assert sent.status == 303
    after = await zhb.page(f"/portal/tickets/{ticket}", headers=ENGLISH)
    notes = after.texts("#history li.timeline-note")
    assert any("Rack B7" in note for note in notes)
    assert not any("PDU" in note for note in notes)


# --- errors (SQLite) ---------------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_form_errors_come_back_beside_their_fields(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    missing = await zhb.submit(
        "/portal/tickets", {"asset_serial": "ZHB-SRV-0101", "summary": ""}, htmx=True, headers=ENGLISH
    )
    assert missing.status == 422
    assert "<html" not in missing.response.text
    assert missing.first("form#ticket-form")
    assert missing.text("#field-summary-error") == "Required"
    assert missing.text("#field-severity-error") == "Required"
    assert missing.first("option[selected]").attributes["value"] == "ZHB-SRV-0101"
    ticket = await ticket_id(ZHB_OPEN_TICKET)
    bad = await zhb.submit(
        f"/portal/tickets/{ticket}/replacement-requests", {"part_number": "", "quantity": "none"}, htmx=True,
        headers=ENGLISH,
    )  # fmt: skip
    assert bad.status == 422
    assert bad.first("form#replacement-form")
    assert bad.text("#field-quantity-error") == "Enter a whole number"


@SQLITE_ONLY
async def test_domain_errors_are_said_in_words(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    theirs = await zhb.submit(
        "/portal/tickets",
        {"asset_serial": "HSG-SRV-0007", "severity": "minor", "summary": "x"},
        headers=ENGLISH,
    )
    assert theirs.status == 404
    ticket = await ticket_id(ZHB_OPEN_TICKET)
    too_many = await zhb.submit(
        f"/portal/tickets/{ticket}/replacement-requests",
        {"part_number": "HDD-SAS-1T2-10K", "quantity": "100"},
        htmx=True,
        headers=ENGLISH,
    )
    assert too_many.status == 422
    assert too_many.response.headers["hx-retarget"] == "#problem"
    assert "This part does not fit the asset, or more were asked for" in too_many.text("[role=alert]")
    unknown = await zhb.submit(
        f"/portal/tickets/{ticket}/replacement-requests",
        {"part_number": "NO-SUCH-PART", "quantity": "1"},
        headers=ENGLISH,
    )
    assert unknown.status == 422
    assert "This breaks a rule of the service" in unknown.text("[role=alert]")
    assert "NO-SUCH-PART" in unknown.text("details")


@SQLITE_ONLY
async def test_a_form_without_its_csrf_token_is_refused(signed_in: SignedIn) -> None:
    zhb = await signed_in("zhb")
    await zhb.page("/portal")
    fields = {"asset_serial": "ZHB-SRV-0101", "severity": "minor", "summary": "x"}
    refused = await zhb.submit("/portal/tickets", fields, csrf=False, headers=ENGLISH)
    assert refused.status == 403
    assert "The form has expired" in refused.text("[role=alert]")


@SQLITE_ONLY
async def test_the_customer_sees_how_each_part_comes_with_the_dispatchers_eta(signed_in: SignedIn) -> None:
    """The ticket's fulfilment as its customer sees it: how the part comes, the one committed ETA (the
    dispatcher's, in the site's local time) and, when the plan arrives after the promise, at risk in
    words."""
    from inventory.tickets.fulfilment import VAN, Way, commit_ways

    held = await Reservation.select(Reservation.id, Reservation.ticket).where(
        (Reservation.ticket.customer.code == "ZHB")
        & (Reservation.status == "active")
        & (Reservation.ticket.status == "open")
    )
    ticket, reservation = held[0]["ticket"], held[0]["id"]
    zhb = await signed_in("zhb")
    before = await zhb.page(f"/portal/tickets/{ticket}", headers=ENGLISH)
    assert "We are arranging how it reaches you" in before.text("#delivery")
    assert "first estimate" in before.text("#delivery")
    assert not before.css("#at-risk")

    record = await get_ticket(ticket, viewer=None, now=datetime.now(UTC))
    late = record.delivery.due_by + timedelta(minutes=40)
    await commit_ways(
        7, [Way(ticket, reservation, VAN, f"T{ticket}", "PEK-V1", late)], replacing=[], actor="d", now=late
    )
    after = await zhb.page(f"/portal/tickets/{ticket}", headers=ENGLISH)
    delivery = after.text("#delivery")
    assert "Delivered to your site by our courier van" in delivery
    assert "as planned for the delivery" in delivery
    assert "PEK-V1" not in delivery  # the van's code is the dispatcher's business
    assert "40 min after the time we promised" in after.text("#at-risk")
    shown = {node.attributes["datetime"] for node in after.css("#delivery .portal-shipment time")}
    assert shown == {late.isoformat()}

    dispatcher = await (await signed_in("dispatcher")).page(f"/tickets/{ticket}", headers=ENGLISH)
    (row,) = dispatcher.css(f"#reservation-{reservation}")
    assert {node.attributes["datetime"] for node in row.css("time")} == shown
    assert after.first("#delivery .portal-shipment time").text() in row.text()


@SQLITE_ONLY
async def test_the_history_follows_the_part_picked_up_and_on_the_van(signed_in: SignedIn) -> None:
    from inventory.tickets import ON_THE_VAN, PICKED, part_moved
    from inventory.tickets.fulfilment import VAN, Way, commit_ways

    held = await Reservation.select(Reservation.id, Reservation.ticket).where(
        (Reservation.ticket.customer.code == "ZHB")
        & (Reservation.status == "active")
        & (Reservation.ticket.status == "open")
    )
    ticket, reservation = held[0]["ticket"], held[0]["id"]
    now = datetime.now(UTC)
    eta = now + timedelta(hours=2)
    await commit_ways(
        7, [Way(ticket, reservation, VAN, f"U{reservation}", "PEK-V1", eta)], replacing=[], actor="d", now=now
    )
    zhb = await signed_in("zhb")
    planned = (await zhb.page(f"/portal/tickets/{ticket}", headers=ENGLISH)).texts("#history li")
    assert any("Delivery by van planned" in line for line in planned)
    assert not any("On the van to your site" in line for line in planned)

    assert await part_moved(7, {f"U{reservation}:pickup", f"U{reservation}"}, PICKED, at=now, now=now) == [
        reservation
    ]
    assert await part_moved(7, {f"U{reservation}"}, ON_THE_VAN, at=now + timedelta(minutes=5), now=now) == [
        reservation
    ]
    history = (await zhb.page(f"/portal/tickets/{ticket}", headers=ENGLISH)).texts("#history li")
    picked = next(line for line in history if "Picked up at the depot" in line)
    on_the_van = next(line for line in history if "On the van to your site" in line)
    assert history.index(picked) < history.index(on_the_van)
    assert "arrival committed for" in on_the_van
    assert "PEK-V1" not in " ".join(history)
    chinese = (await zhb.page(f"/portal/tickets/{ticket}", headers={"accept-language": "zh-CN"})).texts(
        "#history li"
    )
    assert any("已从仓库取件" in line for line in chinese)
    assert any("已装车，正送往您的站点" in line for line in chinese)
