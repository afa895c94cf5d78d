"""Errors on pages are pages in words (the API's mapping, shown for people), and a page's form that
changes data runs once per Idempotency-Key, as the API's requests do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar, Request, get, post
from pydantic import BaseModel, Field, field_validator

from api.idempotency import PageAnswer, idempotent_page
from api.security import allow
from api.web import WEB_SHELL_KEY
from api.web.forms import read_form
from inventory.accounts import EVERYONE, Role
from inventory.errors import Conflict, InsufficientStock, NotFound
from inventory.persistence import run
from presentation import N_
from tests.pages.conftest import SQLITE_ONLY, Browser

SignedIn = Callable[[str], Awaitable[Browser]]


@get("/test/missing", guards=[allow(*EVERYONE)])
async def missing() -> str:
    raise NotFound("ticket 999 not found")


@get("/test/short", guards=[allow(Role.WAREHOUSE)])
async def short() -> str:
    raise InsufficientStock("only 2 of HDD-SAS-1T2-10K at PEK-C", part_number="HDD-SAS-1T2-10K")


@post("/test/notes", guards=[allow(Role.WAREHOUSE)])
@idempotent_page
async def add_note(request: Request[Any, Any, Any]) -> PageAnswer:
    form = await request.form()
    if form.get("text") == "clash":
        raise Conflict("the note clashes")
    rows = await run("SELECT count(*) AS n FROM idempotency_record")
    return PageAnswer(location=f"/test/notes/{form.get('text')}?seen={rows[0]['n']}")


class Count(BaseModel):
    part_number: str = Field(min_length=3, max_length=40)
    quantity: int = Field(ge=1)

    @field_validator("part_number")
    @classmethod
    def _upper(cls, value: str) -> str:
        if value != value.upper():
            raise ValueError(N_("Required"))
        return value


@post("/test/count", guards=[allow(Role.WAREHOUSE)])
async def count(request: Request[Any, Any, Any]) -> dict[str, Any]:
    form = await read_form(request, Count)
    return {"valid": form.valid, "errors": form.errors, "values": form.values}


@pytest.fixture
def test_pages(app: Litestar) -> None:
    app.register(app.state[WEB_SHELL_KEY].router_of([missing, short, add_note, count]))


pytestmark = [pytest.mark.usefixtures("test_pages"), pytest.mark.own_app]


async def test_a_missing_object_is_a_404_page_in_words(signed_in: SignedIn) -> None:
    customer = await signed_in("zhb")
    page = await customer.page("/test/missing", headers={"accept-language": "en"})
    assert page.status == 404
    assert page.response.headers["content-type"].startswith("text/html")
    assert "Not found: it does not exist, or you may not see it" in page.text("[role=alert]")
    assert "ticket 999 not found" in page.text("details")
    chinese = await customer.page("/test/missing")
    assert "未找到" in chinese.text("[role=alert]")


async def test_an_address_that_is_no_page_is_a_404_page_without_dead_forms(signed_in: SignedIn) -> None:
    customer = await signed_in("zhb")
    page = await customer.page("/no/such/screen", headers={"accept-language": "en"})
    assert page.status == 404
    assert "Not found" in page.text("[role=alert]")
    assert page.css("form") == [], "a form here would carry no CSRF token and always fail"
    assert page.css("a[href='/']")


@SQLITE_ONLY
async def test_a_domain_error_is_its_status_and_its_words(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    page = await warehouse.page("/test/short", headers={"accept-language": "en"})
    assert page.status == 409
    assert "There is not enough stock for this" in page.text("[role=alert]")
    fragment = await warehouse.page("/test/short", htmx=True)
    assert fragment.status == 409
    assert "<html" not in fragment.response.text
    assert fragment.response.headers["hx-retarget"] == "#problem"
    assert fragment.response.headers["hx-reswap"] == "innerHTML"
    assert "库存不足" in fragment.text("[role=alert]")


@SQLITE_ONLY
async def test_a_page_form_runs_once_per_idempotency_key(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    fields = {"text": "first", "idempotency_key": "form-1"}
    first = await warehouse.submit("/test/notes", fields)
    again = await warehouse.submit("/test/notes", fields)
    assert first.status == again.status == 303
    assert again.response.headers["location"] == first.response.headers["location"]
    other = await warehouse.submit("/test/notes", {"text": "second", "idempotency_key": "form-2"})
    assert other.response.headers["location"].startswith("/test/notes/second")
    reused = await warehouse.submit(
        "/test/notes", {"text": "changed", "idempotency_key": "form-1"}, headers={"accept-language": "en"}
    )
    assert reused.status == 422
    assert "This form was already sent with other values" in reused.text("[role=alert]")
    by_htmx = await warehouse.submit("/test/notes", {"text": "third", "idempotency_key": "form-3"}, htmx=True)
    assert by_htmx.status == 204
    assert by_htmx.response.headers["hx-redirect"].startswith("/test/notes/third")


@SQLITE_ONLY
async def test_a_failing_page_form_changes_nothing_and_may_be_sent_again(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    clash = await warehouse.submit("/test/notes", {"text": "clash", "idempotency_key": "k"})
    assert clash.status == 409
    retry = await warehouse.submit("/test/notes", {"text": "clash", "idempotency_key": "k"})
    assert retry.status == 409  # the key was rolled back with the failure, not stored
    refused = await (await signed_in("dispatcher")).submit(
        "/test/notes", {"text": "x", "idempotency_key": "d"}
    )
    assert refused.status == 403


@SQLITE_ONLY
async def test_a_form_is_read_with_its_errors_in_words(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    good = await warehouse.submit("/test/count", {"part_number": "PSU-1", "quantity": "3"})
    assert good.response.json() == {
        "valid": True,
        "errors": {},
        "values": {"part_number": "PSU-1", "quantity": "3"},
    }
    bad = await warehouse.submit(
        "/test/count", {"part_number": "", "quantity": "three"}, headers={"accept-language": "en"}
    )
    assert bad.response.json()["errors"] == {"part_number": "Required", "quantity": "Enter a whole number"}
    in_chinese = await warehouse.submit("/test/count", {"part_number": "psu-1", "quantity": "0"})
    assert in_chinese.response.json()["errors"] == {"part_number": "必填", "quantity": "数值过小"}
