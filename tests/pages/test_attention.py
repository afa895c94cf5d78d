"""The dispatcher's attention list: a ticket that lost its part is listed in words with its local time, and
taken off the list once dealt with; only dispatchers and the administrator open it."""

from __future__ import annotations

from datetime import UTC, datetime

from inventory.tickets.tables import DispatchAttention, Ticket
from tests.pages.conftest import Browser

ENGLISH = {"accept-language": "en"}


async def _lost_part() -> tuple[int, int]:
    ticket = await Ticket.select(Ticket.id).order_by(Ticket.id).first()
    [row] = await DispatchAttention.insert(
        DispatchAttention(
            ticket=ticket["id"],
            reason="preempted",
            note="reservation 3 went to ticket 9",
            plan=4,
            stop=f"T{ticket['id']}@PEK-C",
            raised_by="system",
            raised_at=datetime(2026, 12, 6, 8, 40, tzinfo=UTC),
        )
    ).returning(DispatchAttention.id)
    return row["id"], ticket["id"]


async def test_a_dispatcher_deals_with_a_ticket_that_lost_its_part(signed_in) -> None:
    item, ticket = await _lost_part()
    dispatcher: Browser = await signed_in("dispatcher")
    page = await dispatcher.page("/dispatch/attention", headers=ENGLISH)
    assert page.status == 200
    row = page.text(f"#attention-{item}")
    assert f"Ticket {ticket}" in row
    assert "Its reserved part went to a more urgent ticket" in row
    assert f"Plan 4 · T{ticket}@PEK-C" in row
    assert "16:40 (Beijing time)" in row
    assert "/dispatch/attention" in [a.attributes["href"] for a in page.css("nav a")]

    done = await dispatcher.submit(
        f"/dispatch/attention/{item}/resolve", {"idempotency_key": "attention-1"}, headers=ENGLISH
    )
    assert done.status == 303
    location = done.response.headers["location"]
    assert location == f"/dispatch/attention?resolved={item}"
    listed = await dispatcher.page(location, headers=ENGLISH)
    assert "Taken off the list." in listed.text("[role=status]")
    assert not listed.css(f"#attention-{item}")
    again = await dispatcher.submit(
        f"/dispatch/attention/{item}/resolve", {"idempotency_key": "attention-1"}, headers=ENGLISH
    )
    assert again.response.headers["location"] == location


async def test_other_roles_may_not_open_the_list(signed_in) -> None:
    warehouse: Browser = await signed_in("warehouse")
    assert (await warehouse.page("/dispatch/attention")).status == 403
    customer: Browser = await signed_in("zhb")
    assert (await customer.page("/dispatch/attention")).status == 403
