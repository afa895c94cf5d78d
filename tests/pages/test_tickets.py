"""The ticket screens on the demo: the SLA queue (order, breached and soon-breaching marked in words,
filters, the htmx refresh keeping them, pages) and a ticket's file (milestone chain, entitlement,
warranty, reservations, history) with its forms; who may open them, CSRF, errors in words."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from inventory.tickets import get_ticket
from inventory.tickets.priority import Severity
from inventory.tickets.service import open_ticket
from inventory.tickets.tables import Reservation, Ticket
from tests.conftest import SettableClock
from tests.pages.conftest import SQLITE_ONLY, Browser

SignedIn = Callable[[str], Awaitable[Browser]]
SHANGHAI = ZoneInfo("Asia/Shanghai")
ENGLISH = {"accept-language": "en"}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


async def new_ticket(customer: str, site: str, reported_at: datetime, *, severity: str = "critical") -> int:
    """A ticket opened through the service, as the API opens one, at ``reported_at``."""
    record = await open_ticket(
        customer=customer,
        site=site,
        asset_serial=None,
        severity=Severity(severity),
        summary="Controller fails to boot",
        reported_at=reported_at,
        user_caused=False,
        actor="dispatcher",
        now=reported_at,
        viewer=None,
    )
    return record.id


def query_of(address: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(address)
    return parts.path, parse_qs(parts.query)


async def queue_ids(browser: Browser, query: str = "") -> list[int]:
    page = await browser.page(f"/tickets{query}", headers=ENGLISH)
    assert page.status == 200, page.response.text[:2000]
    return [int(node.attributes["href"].rsplit("/", 1)[1]) for node in page.css("#queue tbody th a")]


# --- who may open them --------------------------------------------------------------------------------


@SQLITE_ONLY
@pytest.mark.parametrize("username", ["dispatcher", "admin", "warehouse", "compliance"])
async def test_staff_read_the_queue_and_a_ticket(signed_in: SignedIn, username: str) -> None:
    browser = await signed_in(username)
    queue = await browser.page("/tickets")
    assert queue.status == 200
    first = queue.first("#queue tbody th a").attributes["href"]
    ticket = await browser.page(first)
    assert ticket.status == 200
    forms = ticket.css("#event-form, #reserve-form")
    assert bool(forms) == (username in ("dispatcher", "admin"))


@SQLITE_ONLY
async def test_customers_may_not_open_the_ticket_screens(signed_in: SignedIn, anonymous: Browser) -> None:
    customer = await signed_in("zhb")
    (ticket_id,) = [
        row["id"] for row in await Ticket.select(Ticket.id).where(Ticket.customer.code == "ZHB").limit(1)
    ]
    for path in ("/tickets", f"/tickets/{ticket_id}"):
        page = await customer.page(path, headers=ENGLISH)
        assert page.status == 403
        assert "You may not open this page" in page.text("[role=alert]")
    refused = await customer.submit(f"/tickets/{ticket_id}/events", {"event": "responded"})
    assert refused.status == 403
    away = await anonymous.get("/tickets?tier=premium")
    assert away.status_code == 303
    assert away.headers["location"] == "/login?next=/tickets%3Ftier%3Dpremium"


@SQLITE_ONLY
async def test_warehouse_and_compliance_may_not_record_or_reserve(signed_in: SignedIn) -> None:
    ticket_id = (await Ticket.select(Ticket.id).first())["id"]
    for username in ("warehouse", "compliance"):
        browser = await signed_in(username)
        await browser.page(f"/tickets/{ticket_id}")
        assert (await browser.submit(f"/tickets/{ticket_id}/events", {"event": "responded"})).status == 403
        assert (
            await browser.submit(f"/tickets/{ticket_id}/reservations", {"part_number": "X"})
        ).status == 403


async def test_a_missing_ticket_is_a_404_page(signed_in: SignedIn) -> None:
    page = await (await signed_in("dispatcher")).page("/tickets/999999", headers=ENGLISH)
    assert page.status == 404
    assert "Not found" in page.text("[role=alert]")


# --- the SLA queue ------------------------------------------------------------------------------------


def now_to_the_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture
async def three_clocks(clock: SettableClock) -> dict[str, int]:
    """Three tickets at Zhonghe Bank's Shanghai site (7x24), one in each state of the queue: a response
    overdue by 10 min, one due in 40 min, and one met (the next milestone, on site, due in 3 h 40 min)."""
    from inventory.tickets import TicketEvent, record_event

    now = clock.now = now_to_the_minute()
    made = {
        "breached": await new_ticket("ZHB", "SH-DC2", now - timedelta(minutes=70)),
        "soon": await new_ticket("ZHB", "SH-DC2", now - timedelta(minutes=20)),
        "on_track": await new_ticket("ZHB", "SH-DC2", now - timedelta(minutes=20), severity="minor"),
    }
    await record_event(made["on_track"], TicketEvent.RESPONDED, at=now, note="", actor="dispatcher", now=now)
    return made


@SQLITE_ONLY
async def test_the_queue_marks_breached_and_soon_breaching_tickets_in_words(
    signed_in: SignedIn, three_clocks: dict[str, int]
) -> None:
    browser = await signed_in("dispatcher")
    page = await browser.page("/tickets?customer=ZHB&site=SH-DC2", headers=ENGLISH)
    rows = page.css("#queue tbody tr")
    assert [int(row.css_first("th a").attributes["href"].rsplit("/", 1)[1]) for row in rows] == [
        three_clocks["breached"],
        three_clocks["soon"],
        three_clocks["on_track"],
    ]
    assert [row.attributes["data-state"] for row in rows] == ["breached", "soon", "on_track"]
    words = [" ".join(row.css_first(".countdown").text(separator=" ").split()) for row in rows]
    assert words == [
        "Breached Overdue by 10 min",
        "Breaching within 60 min 40 min left",
        "On track 3 h 40 min left",
    ]
    assert [row.css_first("use").attributes["href"] for row in rows] == [
        "#icon-breached",
        "#icon-soon",
        "#icon-on_track",
    ]
    assert "Engineer on site" in " ".join(rows[2].css_first("td:nth-child(3)").text().split())
    clock = rows[1].css_first("[data-countdown]")
    assert clock.attributes["data-left-ms"] == str(40 * 60_000)
    assert clock.attributes["data-calendar"] == ""  # 7x24: no business intervals
    assert clock.attributes["data-label"] == f"Ticket {three_clocks['soon']}, Response"
    assert rows[1].css_first("time").attributes["datetime"].startswith(str(datetime.now(UTC).year))
    chinese = await browser.page("/tickets?customer=ZHB&site=SH-DC2")
    assert chinese.texts("#queue tbody .countdown .badge")[:2] == ["已违约", "60 分钟内将违约"]


@SQLITE_ONLY
async def test_a_business_hours_clock_stands_still_outside_business_hours(
    signed_in: SignedIn, clock: SettableClock
) -> None:
    """Reported on a Friday at 17:30 by Minshan University (business hours): on Saturday the response
    clock has 30 min left, paused until Monday 09:00, and the page gives the script Monday's hours."""
    today = datetime.now(SHANGHAI).date()
    friday = today + timedelta(days=(4 - today.weekday()) % 7 or 7)
    reported = datetime.combine(friday, datetime.min.time(), SHANGHAI) + timedelta(hours=17, minutes=30)
    ticket = await new_ticket("MSU", "NJ-CAMPUS", reported)
    clock.now = reported + timedelta(hours=18, minutes=30)  # Saturday 12:00
    browser = await signed_in("dispatcher")
    page = await browser.page("/tickets?customer=MSU&site=NJ-CAMPUS", headers=ENGLISH)
    row = page.first(f"#queue tr:has(a[href='/tickets/{ticket}'])")
    assert " ".join(row.css_first(".countdown").text(separator=" ").split()) == (
        "Breaching within 60 min 30 min left Paused until Mon 09:00 (Beijing time)"
    )
    countdown = row.css_first("[data-countdown]")
    assert countdown.attributes["data-calendar"] == "CN|Asia/Shanghai"
    calendars = json.loads(page.first("#queue").attributes["data-calendars"])
    monday = reported + timedelta(days=3, hours=-8, minutes=-30)  # Monday 09:00
    assert calendars["CN|Asia/Shanghai"][0] == [
        int(monday.timestamp() * 1000),
        int((monday + timedelta(hours=9)).timestamp() * 1000),
        "Mon 09:00 (Beijing time)",
    ]
    words = json.loads(page.first("#queue").attributes["data-words"])
    assert words["paused"] == "Paused until %(time)s"
    assert words["states"]["breached"] == "Breached"
    assert int(page.first("#queue").attributes["data-now"]) == int(clock.now.timestamp() * 1000)
    ticket_page = await browser.page(f"/tickets/{ticket}", headers=ENGLISH)
    assert "count business hours, 09:00 to 18:00 on working days (Beijing time)" in ticket_page.text(
        "#milestones"
    )


@SQLITE_ONLY
async def test_the_queue_filters_by_tier_severity_depot_customer_and_site(signed_in: SignedIn) -> None:
    browser = await signed_in("dispatcher")
    everything = await queue_ids(browser, "?limit=500")
    assert len(everything) == await Ticket.count().where(Ticket.status == "open")
    platinum = await browser.page("/tickets?tier=platinum&limit=500", headers=ENGLISH)
    tiers = {text.split(" · ")[0] for text in platinum.texts("#queue tbody td:nth-child(4) small")}
    assert tiers == {"Platinum"}
    assert platinum.first("#filter-tier option[selected]").attributes["value"] == "platinum"
    minor = await browser.page("/tickets?severity=minor&limit=500", headers=ENGLISH)
    assert set(minor.texts("#queue tbody .badge--neutral")) == {"Minor"}
    held = await Reservation.select(Reservation.depot.code.as_alias("depot"), Reservation.ticket).where(
        (Reservation.status == "active") & (Reservation.ticket.status == "open")
    )
    depot = held[0]["depot"]
    at_depot = await queue_ids(browser, f"?depot={depot}&limit=500")
    assert sorted(at_depot) == sorted({row["ticket"] for row in held if row["depot"] == depot})
    customer = await browser.page("/tickets?customer=HSG", headers=ENGLISH)
    assert [o.attributes["value"] for o in customer.css("#filter-site option")] == ["", "WH-CC", "XA-SUB"]
    assert await queue_ids(browser, "?customer=HSG&site=XA-SUB") == []
    assert await queue_ids(browser, "?customer=NOBODY") == []
    assert "No open ticket matches these filters." in (
        await browser.page("/tickets?customer=NOBODY", headers=ENGLISH)
    ).text("#queue")
    assert (await browser.page("/tickets?tier=gold")).status == 422
    everything_again = await queue_ids(browser, "?tier=&severity=&depot=&customer=&site=&limit=500")
    assert everything_again == everything


@SQLITE_ONLY
async def test_the_queue_refreshes_as_a_fragment_with_its_filters_and_pages(signed_in: SignedIn) -> None:
    browser = await signed_in("dispatcher")
    fragment = await browser.page("/tickets?tier=premium&limit=3", htmx=True)
    assert fragment.status == 200
    assert fragment.response.text.lstrip().startswith('<section id="queue"')
    assert "<html" not in fragment.response.text
    section = fragment.first("#queue")
    assert query_of(section.attributes["hx-get"]) == ("/tickets", {"tier": ["premium"], "limit": ["3"]})
    assert section.attributes["hx-trigger"] == "every 30s"
    assert section.attributes["hx-target"] == "#queue"
    assert section.attributes["hx-swap"] == "outerHTML"
    assert len(fragment.css("#queue tbody tr")) == 3
    following = fragment.first("#queue a[rel=next]").attributes["href"]
    assert query_of(following) == ("/tickets", {"tier": ["premium"], "limit": ["3"], "offset": ["3"]})
    first_page = await queue_ids(browser, "?tier=premium&limit=3")
    second_page = await queue_ids(browser, "?tier=premium&limit=3&offset=3")
    assert not set(first_page) & set(second_page)
    whole = await browser.page("/tickets", headers=ENGLISH)
    assert whole.first("script[src^='/static/js/countdown.js?v=']")
    assert whole.first("[data-countdown-announcer]").attributes["aria-live"] == "polite"


# --- a ticket's file ----------------------------------------------------------------------------------


async def demo_ticket(customer: str) -> int:
    """The demo's open ticket of ``customer`` with a part held."""
    rows = await Reservation.select(Reservation.ticket).where(
        (Reservation.ticket.customer.code == customer)
        & (Reservation.status == "active")
        & (Reservation.ticket.status == "open")
    )
    return rows[0]["ticket"]


@SQLITE_ONLY
async def test_a_ticket_shows_its_milestones_entitlement_warranty_reservations_and_history(
    signed_in: SignedIn, clock: SettableClock
) -> None:
    ticket_id = await demo_ticket("ZHB")
    browser = await signed_in("dispatcher")
    page = await browser.page(f"/tickets/{ticket_id}", headers=ENGLISH)
    assert page.status == 200
    assert page.text("h1").startswith(f"Ticket {ticket_id}")
    milestones = page.css("li.milestone")
    assert [" ".join(m.css_first("h3").text().split()) for m in milestones] == [
        "Response within 1 h",
        "Engineer on site within 4 h",
        "Service restored within 8 h",
        "Part replaced within 2 d",
    ]
    assert all(m.css_first("time[datetime]") for m in milestones)
    assert "data-countdowns" in page.first("#milestones").attributes
    entitlement = page.text("section[aria-labelledby=entitlement-heading]")
    assert "Platinum" in entitlement
    assert "served before standard customers" in entitlement
    assert "may take parts held for a lower-priority ticket" in entitlement  # a critical fault
    warranty = page.text("section[aria-labelledby=warranty-heading]")
    assert "ZHB-ARR-0001" in warranty
    assert "In warranty" in warranty
    assert "Extended by downtime" in warranty
    (row,) = page.css("#reservations tbody tr")
    reservation = (await tickets_reservations(ticket_id))[0]
    assert row.css_first("th").text() == f"R-{reservation.id}"
    assert "Held" in row.text()
    assert "(Beijing time)" in row.text()
    urgent = row.css_first("a[role=button]")
    day = datetime.now(SHANGHAI).date().isoformat()
    assert urgent.attributes["href"] == f"/dispatch?date={day}&urgent={reservation.id}"
    assert "Urgent 4-hour check" in urgent.text()
    history = page.texts("#events li strong")
    assert history[0] == "Opened"
    assert "Response deadline passed unmet" in history  # the demo opened it an hour before loading
    events = [o.attributes["value"] for o in page.css("#field-event option")]
    assert "resumed" not in events
    assert "responded" in events
    assert page.first("#reserve-form input[name=allow_preemption]")
    reader = await (await signed_in("compliance")).page(f"/tickets/{ticket_id}", headers=ENGLISH)
    assert not reader.css("#reservations a[role=button]")
    assert not reader.css("form#event-form")


async def test_a_ticket_shows_how_each_part_comes_and_whether_the_plan_puts_it_at_risk(
    signed_in: SignedIn,
) -> None:
    from inventory.tickets.fulfilment import ENGINEER, VISIT, Way, commit_ways

    ticket_id = await demo_ticket("ZHB")
    browser = await signed_in("dispatcher")
    page = await browser.page(f"/tickets/{ticket_id}", headers=ENGLISH)
    (row,) = page.css("#reservations tbody tr")
    assert "Not arranged yet" in row.text()
    assert "estimate" in row.text()
    assert not page.css("#at-risk")

    reservation = (await tickets_reservations(ticket_id))[0]
    ticket = await get_ticket(ticket_id, viewer=None, now=datetime.now(UTC))
    late = ticket.delivery.due_by + timedelta(minutes=40)
    way = Way(ticket_id, reservation.id, ENGINEER, f"T{ticket_id}:pickup", "PEK-E1", late)
    visit = Way(ticket_id, None, VISIT, f"T{ticket_id}", "PEK-E1", late)
    await commit_ways(7, [way, visit], replacing=[], actor="dispatcher", now=datetime.now(UTC))
    page = await browser.page(f"/tickets/{ticket_id}", headers=ENGLISH)
    (row,) = page.css("#reservations tbody tr")
    assert "Engineer PEK-E1 collects it" in row.text()
    assert "Plan 7" in row.text()
    assert "committed plan" in row.text()
    assert page.text("#engineer-visit").startswith("Engineer PEK-E1 is on site at ")
    assert "(Beijing time) (plan 7)" in page.text("#engineer-visit")
    assert "At risk" in page.text("#at-risk")
    assert "40 min" in page.text("#at-risk")
    queue = await browser.page("/tickets?risk=at_risk", headers=ENGLISH)
    assert [row.css_first("th a").attributes["href"] for row in queue.css("tr.queue-row")] == [
        f"/tickets/{ticket_id}"
    ]
    assert "At risk: 40 min late" in queue.text("tr.queue-row")
    everyone = await browser.page("/tickets", headers=ENGLISH)
    assert len(everyone.css("tr.queue-row")) > 1


async def tickets_reservations(ticket_id: int):
    from inventory.tickets import ticket_reservations

    return await ticket_reservations(ticket_id, viewer=None)


# --- the forms (both engines) -------------------------------------------------------------------------


async def test_recording_an_event(signed_in: SignedIn, clock: SettableClock) -> None:
    now = clock.now = now_to_the_minute()
    ticket_id = await new_ticket("ZHB", "SH-DC2", now - timedelta(minutes=15))
    browser = await signed_in("dispatcher")
    await browser.page(f"/tickets/{ticket_id}")
    path = f"/tickets/{ticket_id}/events"
    assert (await browser.submit(path, {"event": "responded"}, csrf=False)).status == 403
    fields = {"event": "responded", "note": "Called back", "idempotency_key": "event-1"}
    first = await browser.submit(path, fields)
    assert first.status == 303
    assert first.response.headers["location"] == f"/tickets/{ticket_id}?done=event"
    again = await browser.submit(path, fields)
    assert again.response.headers["location"] == first.response.headers["location"]
    page = await browser.page(first.response.headers["location"], headers=ENGLISH)
    assert "The event was recorded." in page.text("main")
    assert page.texts("#events li strong") == ["Opened", "Responded"]
    assert "Called back" in page.text("#events")
    assert page.first("li.milestone").attributes["data-state"] == "met"
    assert "Met with 45 min to spare" in page.text("li.milestone")
    by_htmx = await browser.submit(
        path, {"event": "waiting_customer", "idempotency_key": "event-2"}, htmx=True
    )
    assert by_htmx.status == 204
    assert by_htmx.response.headers["hx-redirect"] == f"/tickets/{ticket_id}?done=event"
    waiting = await browser.page(f"/tickets/{ticket_id}", headers=ENGLISH)
    assert "Waiting for the customer" in waiting.texts("li.milestone .badge")[1]
    assert "Since" in waiting.text("li.milestone:nth-child(2) .pauses")
    record = await get_ticket(ticket_id, viewer=None, now=now)
    assert record.sla["response"].met_at == now
    assert record.sla["on_site"].state == "paused"


async def test_an_event_form_with_errors_comes_back_in_words(
    signed_in: SignedIn, clock: SettableClock
) -> None:
    now = clock.now = now_to_the_minute()
    ticket_id = await new_ticket("ZHB", "SH-DC2", now - timedelta(minutes=15))
    browser = await signed_in("dispatcher")
    await browser.page(f"/tickets/{ticket_id}")
    path = f"/tickets/{ticket_id}/events"
    empty = await browser.submit(path, {"note": "x"}, headers=ENGLISH)
    assert empty.status == 422
    assert empty.text("#field-event-error") == "Required"
    assert empty.first("h1")  # the whole page without htmx
    ahead = await browser.submit(path, {"event": "responded", "at": "2999-01-01T10:00"}, htmx=True)
    assert ahead.status == 422
    assert ahead.response.headers["hx-retarget"] == "#event-form"
    assert ahead.response.headers["hx-reswap"] == "outerHTML"
    assert ahead.response.text.lstrip().startswith('<form id="event-form"')
    assert re.search(r"请输入 .+（北京时间） 至 .+（北京时间） 之间的时间", ahead.text("#field-at-error"))
    assert ahead.first("#field-at").attributes["aria-invalid"] == "true"
    assert ahead.first("#field-at").attributes["value"] == "2999-01-01T10:00"
    refused = await browser.submit(path, {"event": "resumed"}, htmx=True, headers=ENGLISH)
    assert refused.status == 409
    assert refused.response.headers["hx-retarget"] == "#event-form"
    assert "This is not possible in its current state" in refused.text("[role=alert]")
    assert "no clock is paused" in refused.text("details")
    before_report = (now - timedelta(minutes=30)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    early = await browser.submit(path, {"event": "responded", "at": before_report}, headers=ENGLISH)
    assert early.status == 422
    assert "This breaks a rule of the service" in early.text("#event-form [role=alert]")
    assert (await get_ticket(ticket_id, viewer=None, now=now)).sla["response"].met_at is None


async def test_reserving_a_part(signed_in: SignedIn, clock: SettableClock) -> None:
    now = clock.now = now_to_the_minute()
    ticket_id = await new_ticket("ZHB", "BJ-DC1", now - timedelta(minutes=10))
    browser = await signed_in("dispatcher")
    await browser.page(f"/tickets/{ticket_id}")
    path = f"/tickets/{ticket_id}/reservations"
    assert (await browser.submit(path, {"part_number": "PSU-800W-PLATINUM"}, csrf=False)).status == 403
    bad = await browser.submit(path, {"part_number": "PSU-800W-PLATINUM", "quantity": "two"}, htmx=True)
    assert bad.status == 422
    assert bad.response.headers["hx-retarget"] == "#reserve-form"
    assert bad.text("#field-quantity-error") == "请输入整数"
    unknown = await browser.submit(path, {"part_number": "NO-SUCH-PART"}, headers=ENGLISH)
    assert unknown.status == 422
    assert unknown.first("#field-part_number").attributes["aria-invalid"] == "true"
    assert "unknown part" in unknown.text("#reserve-form details")
    made = await browser.submit(
        path, {"part_number": "PSU-800W-PLATINUM", "quantity": "1", "idempotency_key": "r1"}
    )
    assert made.status == 303
    assert made.response.headers["location"] == f"/tickets/{ticket_id}?done=reservation"
    page = await browser.page(made.response.headers["location"], headers=ENGLISH)
    assert "The part was reserved." in page.text("main")
    (row,) = page.css("#reservations tbody tr")
    assert "PSU-800W-PLATINUM" in row.text()
    assert "Held" in row.text()
    assert (
        await browser.submit(
            path, {"part_number": "PSU-800W-PLATINUM", "quantity": "1", "idempotency_key": "r1"}
        )
    ).status == 303
    assert len(await tickets_reservations(ticket_id)) == 1


@SQLITE_ONLY
async def test_a_part_no_depot_can_bring_in_time_is_refused_in_words_with_the_depots_that_have_it(
    signed_in: SignedIn, clock: SettableClock
) -> None:
    now = clock.now = now_to_the_minute()
    ticket_id = await new_ticket("ZHB", "BJ-DC1", now - timedelta(hours=5))  # its 4 hours have passed
    browser = await signed_in("dispatcher")
    await browser.page(f"/tickets/{ticket_id}")
    refused = await browser.submit(
        f"/tickets/{ticket_id}/reservations", {"part_number": "PSU-800W-PLATINUM"}, htmx=True, headers=ENGLISH
    )
    assert refused.status == 409
    assert refused.response.headers["hx-retarget"] == "#reserve-form"
    assert "No depot can deliver this part within the promised time" in refused.text("[role=alert]")
    depots = refused.css("[role=alert] tbody tr")
    assert depots
    assert all(row.css("td")[3].text() == "No" for row in depots)
    assert "(Beijing time)" in depots[0].css("td")[2].text()
    chinese = await browser.submit(f"/tickets/{ticket_id}/reservations", {"part_number": "PSU-800W-PLATINUM"})
    assert "没有仓库能在承诺时间内送达该备件" in chinese.text("#reserve-form [role=alert]")
    assert await tickets_reservations(ticket_id) == []
