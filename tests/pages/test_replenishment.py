"""The replenishment screens on the demo: a depot's suggestions with their reasons, accepted by an
idempotent form, and its stock policies, viewed and set; for the warehouse and the administrator only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from inventory.planning.tables import AcceptedSuggestion, StockPolicy
from inventory.stock.tables import Transfer
from tests.pages.conftest import SQLITE_ONLY, Browser, Page

SignedIn = Callable[[str], Awaitable[Browser]]
EN = {"accept-language": "en"}
SCREENS = ("/replenishment?depot=HGH-F", "/replenishment/policies?depot=HGH-F")


def form_fields(page: Page, selector: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the first form matching ``selector``."""
    form = page.first(selector)
    fields = {
        node.attributes["name"]: node.attributes.get("value") or "" for node in form.css("input[type=hidden]")
    }
    return form.attributes["action"], fields


@pytest.mark.parametrize("path", SCREENS)
async def test_the_replenishment_screens_are_the_warehouse_s_and_the_administrator_s(
    signed_in: SignedIn, anonymous: Browser, path: str
) -> None:
    for username in ("warehouse", "admin"):
        page = await (await signed_in(username)).page(path, headers=EN)
        assert page.status == 200, page.response.text[:2000]
    for username in ("dispatcher", "compliance", "zhb"):
        assert (await (await signed_in(username)).page(path)).status == 403
    away = await anonymous.page(path)
    assert away.status == 303
    assert away.response.headers["location"].startswith("/login?next=")


@SQLITE_ONLY
async def test_suggestions_say_why_and_are_accepted_once_into_a_transfer(signed_in: SignedIn) -> None:
    browser = await signed_in("warehouse")
    page = await browser.page("/replenishment?depot=HGH-F", headers=EN)
    assert page.status == 200
    assert "HGH-F is supplied by SHA-C, 1 days on the way." in page.text("#supply-route")
    rows = page.css(".data-table tbody tr")
    assert rows, page.response.text[:3000]
    first = rows[0]
    reasons = " ".join(first.text(separator=" ").split())
    assert "Transfer from the supplying depot (SHA-C)" in reasons
    assert "Policy: Minimum and maximum; order below" in reasons
    for reason in ("Stock position", "reserved", "in transit", "on order"):
        assert reason in reasons
    assert "Lead time: 1 days." in reasons
    part = first.attributes["id"].removeprefix("suggestion-")

    action, fields = form_fields(page, f"#suggestion-{part} form")
    assert fields["idempotency_key"]
    accepted = await browser.submit(action, fields)
    assert accepted.status == 303, accepted.response.text[:2000]
    location = accepted.response.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert (query["depot"], query["accepted"]) == (["HGH-F"], [part])
    transfer = await Transfer.select().where(Transfer.id == int(query["transfer"][0])).first()
    assert (transfer["status"], transfer["reason"].startswith("replenishment ")) == ("in_transit", True)

    again = await browser.submit(action, fields)
    assert (again.status, again.response.headers["location"]) == (303, location)
    assert await AcceptedSuggestion.count() == 1
    shown = await browser.page(location, headers=EN)
    assert f"transfer {transfer['id']} of {part} is on its way" in shown.text("[role=status]")
    assert not shown.css(f"#suggestion-{part}")

    fresh = await browser.page("/replenishment?depot=HGH-F", headers=EN)
    _, new_key = form_fields(fresh, "form[action$='/accept']")
    refused = await browser.submit(action, new_key, headers=EN)
    assert refused.status == 409
    assert "This suggestion was already accepted." in refused.response.text


@SQLITE_ONLY
async def test_a_stale_suggestion_is_refused_in_words_in_chinese(signed_in: SignedIn) -> None:
    browser = await signed_in("warehouse")
    page = await browser.page("/replenishment?depot=HGH-F")
    assert "从供货仓库调拨" in page.text(".data-table tbody")
    row = page.css(".data-table tbody tr")[0]
    part = row.attributes["id"].removeprefix("suggestion-")
    action, fields = form_fields(page, f"#suggestion-{part} form")
    await StockPolicy.update({StockPolicy.target_level: StockPolicy.target_level + 1}).where(
        StockPolicy.part.part_number == part
    )
    stale = await browser.submit(action, fields)
    assert stale.status == 409
    assert "该建议已与当前库存、策略或预测不符" in stale.response.text


@SQLITE_ONLY
async def test_policies_are_shown_with_their_forecasts_and_set_by_a_form(signed_in: SignedIn) -> None:
    browser = await signed_in("admin")
    central = await browser.page("/replenishment/policies?depot=SHA-C", headers=EN)
    assert "Automatic, from the demand forecast" in central.text(".data-table tbody")
    assert "a week" in central.text(".data-table tbody")
    page = await browser.page("/replenishment/policies?depot=HGH-F", headers=EN)
    action, fields = form_fields(page, "form[method=post][action='/replenishment/policies']")
    saved = await browser.submit(
        action,
        fields
        | {"part_number": "BAT-CR2032", "kind": "reorder_point", "reorder_level": "2", "target_level": "9"},
    )
    assert saved.status == 303, saved.response.text[:2000]
    shown = await browser.page(saved.response.headers["location"], headers=EN)
    assert "The policy of BAT-CR2032 is saved." in shown.text("[role=status]")
    row = next(r for r in shown.css(".data-table tbody tr") if "BAT-CR2032" in r.text())
    assert [" ".join(td.text().split()) for td in row.css("td")][1:4] == [
        "Reorder point and order-up-to level",
        "2",
        "9",
    ]
    _, fields = form_fields(shown, "form[method=post][action='/replenishment/policies']")
    wrong = await browser.submit(
        action,
        fields | {"part_number": "BAT-CR2032", "kind": "min_max", "reorder_level": "9", "target_level": "2"},
        headers=EN,
    )
    assert wrong.status == 422
    assert "The target level is below the reorder level" in wrong.text("[role=alert]")
