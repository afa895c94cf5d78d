"""The dispatcher's queue of replacement requests that no depot can deliver in time: each with its
alternatives; reserving at one approves it, refusing says why; other roles get 403."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inventory.tickets import HoldTerms, ReplacementAsk, get_request, open_ticket, request_replacement
from inventory.tickets.priority import Severity
from tests.pages.conftest import SQLITE_ONLY, Browser

ENGLISH = {"Accept-Language": "en"}


async def _pending(clock) -> int:
    """A request of Zhonghe Bank whose 4-hour promise can no longer be kept (reported 6 hours ago)."""
    now = clock()
    ticket = await open_ticket(
        customer="ZHB",
        site="BJ-DC1",
        asset_serial="ZHB-SRV-0101",
        severity=Severity.CRITICAL,
        summary="PSU 1 failed",
        reported_at=now - timedelta(hours=6),
        user_caused=False,
        actor="dispatcher",
        now=now,
        viewer=None,
    )
    record = await request_replacement(
        ticket.id,
        ReplacementAsk("PSU-800W-PLATINUM", 1, "PSU 1 failed"),
        actor="zhb",
        viewer="ZHB",
        now=now,
        hold=HoldTerms(ttl=timedelta(hours=48)),
    )
    assert record.state == "pending_dispatcher"
    return record.id


async def test_the_dispatcher_reserves_a_queued_request_where_the_part_is(signed_in, clock) -> None:
    request_id = await _pending(clock)
    dispatcher: Browser = await signed_in("dispatcher")
    page = await dispatcher.page("/replacements", headers=ENGLISH)
    assert page.status == 200
    card = page.first(f"#request-{request_id}")
    assert "PSU-800W-PLATINUM" in card.text()
    assert "before the promised time" in card.css_first(".request-why").text()
    rows = card.css("tbody tr")
    assert rows, "the depots that have the part"
    assert "Beijing time" in rows[0].text() or "北京" in rows[0].text()
    form = rows[0].css_first("form")
    fields = {node.attributes["name"]: node.attributes["value"] for node in form.css("input[type=hidden]")}
    fields.pop("_csrf_token", None)
    sent = await dispatcher.submit(form.attributes["action"], fields)
    assert sent.status == 303
    assert sent.response.headers["location"] == f"/replacements?done={request_id}"
    assert (await get_request(request_id, viewer=None)).state == "approved"
    after = await dispatcher.page(sent.response.headers["location"], headers=ENGLISH)
    assert not after.css(f"#request-{request_id}")
    assert f"Request {request_id} is off the queue" in after.text("[role=status]")


@SQLITE_ONLY
async def test_the_dispatcher_refuses_with_a_note_and_may_not_send_an_empty_one(signed_in, clock) -> None:
    request_id = await _pending(clock)
    dispatcher: Browser = await signed_in("dispatcher")
    empty = await dispatcher.submit(f"/replacements/{request_id}/refuse", {"note": ""}, headers=ENGLISH)
    assert empty.status == 422
    assert empty.first(f"#request-{request_id} [role=alert]")
    refused = await dispatcher.submit(
        f"/replacements/{request_id}/refuse", {"note": "Loaner unit sent instead", "idempotency_key": "r-1"}
    )
    assert refused.status == 303
    record = await get_request(request_id, viewer=None)
    assert (record.state, record.note) == ("refused", "Loaner unit sent instead")
    zhb: Browser = await signed_in("zhb")
    portal = await zhb.page(f"/portal/tickets/{record.ticket}", headers=ENGLISH)
    assert "Loaner unit sent instead" in portal.text(f"#request-{request_id}")


@SQLITE_ONLY
@pytest.mark.parametrize("username", ["warehouse", "compliance", "zhb"])
async def test_other_roles_may_not_open_the_queue(signed_in, username: str) -> None:
    browser: Browser = await signed_in(username)
    assert (await browser.page("/replacements", headers=ENGLISH)).status == 403
