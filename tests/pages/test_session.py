"""Signing in and out, sessions against bearer tokens, CSRF, languages, and the shell of every page."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import pytest
from litestar import Litestar

from api.security import allow
from api.web import WEB_SHELL_KEY
from api.web.navigation import NAVIGATION, links_for
from api.web.sessions import SESSION_COOKIE
from inventory.accounts import Role
from tests.conftest import serving, test_settings
from tests.pages.conftest import CUSTOMERS, DEMO_PASSWORD, SQLITE_ONLY, STAFF, Browser

SignedIn = Callable[[str], Awaitable[Browser]]
ROLE_OF = {"admin": Role.ADMIN, "warehouse": Role.WAREHOUSE, "dispatcher": Role.DISPATCHER,
           "compliance": Role.COMPLIANCE} | dict.fromkeys(CUSTOMERS, Role.CUSTOMER)  # fmt: skip


# --- signing in and out (both engines) ---------------------------------------------------------------


async def test_sign_in_opens_a_session_cookie_and_the_home_page(anonymous: Browser) -> None:
    answer = await anonymous.sign_in("warehouse")
    assert answer.status == 303
    assert answer.response.headers["location"] == "/"
    cookie = answer.response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # not production
    home = await anonymous.page("/")
    assert home.status == 200
    assert "warehouse" in home.text("header")


async def test_sign_out_closes_the_session(signed_in: SignedIn) -> None:
    browser = await signed_in("dispatcher")
    assert (await browser.page("/")).status == 200
    out = await browser.submit("/logout")
    assert out.status == 303
    assert out.response.headers["location"] == "/login"
    assert (
        f'{SESSION_COOKIE}=""' in out.response.headers["set-cookie"]
        or "Max-Age=0" in (out.response.headers["set-cookie"])
    )
    again = await browser.page("/")
    assert again.status == 303
    assert again.response.headers["location"] == "/login"


async def test_a_page_without_a_session_goes_to_sign_in_and_back(anonymous: Browser) -> None:
    answer = await anonymous.page("/?tab=open")
    assert answer.status == 303
    assert answer.response.headers["location"] == "/login?next=/%3Ftab%3Dopen"
    form = await anonymous.page(answer.response.headers["location"])
    assert form.first("form[action='/login'] input[name=next]").attributes["value"] == "/?tab=open"
    signed = await anonymous.submit(
        "/login", {"username": "admin", "password": DEMO_PASSWORD, "next": "/?tab=open"}
    )
    assert signed.response.headers["location"] == "/?tab=open"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
async def test_sign_in_goes_only_to_pages_of_this_site(anonymous: Browser, target: str) -> None:
    form = await anonymous.page(f"/login?next={target}")
    assert form.first("form[action='/login'] input[name=next]").attributes["value"] == "/"
    answer = await anonymous.submit(
        "/login", {"username": "admin", "password": DEMO_PASSWORD, "next": target}
    )
    assert answer.response.headers["location"] == "/"


async def test_a_wrong_password_is_refused_in_words(anonymous: Browser) -> None:
    answer = await anonymous.submit(
        "/login", {"username": "warehouse", "password": "nope"}, headers={"accept-language": "en"}
    )
    assert answer.status == 401
    assert "Wrong username or password." in answer.text("[role=alert]")
    assert SESSION_COOKIE not in answer.response.headers.get("set-cookie", "")
    assert answer.first("input[name=username]").attributes["value"] == "warehouse"
    empty = await anonymous.submit(
        "/login", {"username": "", "password": ""}, headers={"accept-language": "zh-CN"}
    )
    assert empty.status == 422
    assert "请输入用户名和密码" in empty.text("[role=alert]")


async def test_sign_in_is_throttled_like_the_token_endpoint(database_url: str) -> None:
    app = __import__("api.app", fromlist=["create_app"]).create_app(
        test_settings(database_url, login_attempts_per_username_per_minute=2)
    )
    async with serving(app) as client:
        browser = Browser(client)
        for _ in range(2):
            assert (await browser.sign_in("warehouse", "wrong")).status == 401
        refused = await browser.submit(
            "/login", {"username": "warehouse", "password": DEMO_PASSWORD}, headers={"accept-language": "en"}
        )
        assert refused.status == 429
        assert int(refused.response.headers["retry-after"]) >= 1
        assert re.search(
            r"Too many sign-in attempts\. Try again in \d+ seconds\.", refused.text("[role=alert]")
        )
        # The token endpoint counts against the same limit.
        token = await client.post(
            "/api/v1/auth/token", json={"username": "warehouse", "password": DEMO_PASSWORD}
        )
        assert token.status_code == 429


# --- sessions and bearer tokens never open each other (both engines) ---------------------------------


async def test_the_session_cookie_does_not_open_the_api(signed_in: SignedIn) -> None:
    browser = await signed_in("admin")
    assert browser.client.cookies.get(SESSION_COOKIE)
    answer = await browser.get("/api/v1/depots")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    # Nor does the session's token sent as a bearer token: it has the session's issuer.
    token = browser.client.cookies.get(SESSION_COOKIE)
    browser.client.cookies.delete(SESSION_COOKIE)
    as_bearer = await browser.client.get("/api/v1/depots", headers={"authorization": f"Bearer {token}"})
    assert as_bearer.status_code == 401


async def test_a_bearer_token_does_not_open_the_pages(anonymous: Browser) -> None:
    token = await anonymous.client.post(
        "/api/v1/auth/token", json={"username": "admin", "password": DEMO_PASSWORD}
    )
    bearer = token.json()["access_token"]
    assert (
        await anonymous.get("/api/v1/depots", headers={"authorization": f"Bearer {bearer}"})
    ).status_code == 200
    answer = await anonymous.page("/", headers={"authorization": f"Bearer {bearer}"})
    assert answer.status == 303
    assert answer.response.headers["location"] == "/login"
    # Nor does the API's token put in the session cookie.
    anonymous.client.cookies.set(SESSION_COOKIE, bearer)
    assert (await anonymous.page("/")).status == 303


async def test_a_form_without_its_csrf_token_is_refused(signed_in: SignedIn) -> None:
    browser = await signed_in("warehouse")
    refused = await browser.submit("/logout", csrf=False, headers={"accept-language": "en"})
    assert refused.status == 403
    assert "The form has expired" in refused.text("[role=alert]")
    forged = await browser.submit("/logout", {"_csrf_token": "0" * 96}, csrf=False)
    assert forged.status == 403
    assert (await browser.page("/")).status == 200  # still signed in
    assert (
        await browser.submit("/login", {"username": "admin", "password": DEMO_PASSWORD}, csrf=False)
    ).status == 403
    # htmx sends the token as a header.
    header = await browser.client.post(
        "/logout", headers={"x-csrftoken": browser.csrf_token(), "hx-request": "true"}
    )
    assert header.status_code == 204
    assert header.headers["hx-redirect"] == "/login"


# --- the shell of the pages (SQLite) ------------------------------------------------------------------


@SQLITE_ONLY
@pytest.mark.parametrize("username", [*STAFF, *CUSTOMERS])
async def test_home_lists_the_screens_of_the_role(signed_in: SignedIn, username: str) -> None:
    browser = await signed_in(username)
    home = await browser.page("/", headers={"accept-language": "en"})
    expected = [link.path for link in links_for(ROLE_OF[username])]
    assert [node.attributes["href"] for node in home.css(".home-links a")] == expected
    assert [node.attributes["href"] for node in home.css(".app-nav a")] == expected
    assert home.first("main h1").text().startswith("Welcome")
    assert home.first("a.skip-link").attributes["href"] == "#main"
    assert home.first("main#main")


@SQLITE_ONLY
def test_every_navigation_link_admits_the_roles_it_is_shown_to(app: Litestar) -> None:
    """A link is shown only to roles its page admits, and to all of them (routes not built yet aside)."""
    for link in NAVIGATION:
        routes = [route for route in app.routes if route.path == link.path]
        for route in routes:
            for handler in route.route_handlers:
                if handler.http_methods == {"OPTIONS"}:
                    continue  # Litestar's own answer to OPTIONS, on every route
                guards = [guard for layer in handler.ownership_layers for guard in (layer.guards or [])]
                admitted = frozenset().union(*(guard.roles for guard in guards if hasattr(guard, "roles")))
                assert admitted == link.roles, (link.path, admitted, link.roles)


@SQLITE_ONLY
async def test_languages_choice_then_accept_language_then_default(anonymous: Browser) -> None:
    default = await anonymous.page("/login")
    assert default.first("html").attributes["lang"] == "zh-CN"
    assert default.text("h1") == "登录"
    english = await anonymous.page("/login", headers={"accept-language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert english.first("html").attributes["lang"] == "en"
    assert english.text("h1") == "Sign in"
    chinese = await anonymous.page("/login", headers={"accept-language": "zh-Hans-CN,en;q=0.5"})
    assert chinese.text("h1") == "登录"
    chosen = await anonymous.submit("/language", {"language": "en", "next": "/login?next=/stock"})
    assert chosen.status == 303
    assert chosen.response.headers["location"] == "/login?next=/stock"
    after = await anonymous.page("/login", headers={"accept-language": "zh-CN"})
    assert after.first("html").attributes["lang"] == "en"
    assert after.text("h1") == "Sign in"
    assert after.first("form[action='/language'] button").attributes["value"] == "zh_CN"


@SQLITE_ONLY
async def test_pages_load_nothing_from_other_sites(signed_in: SignedIn, anonymous: Browser) -> None:
    pages = [await anonymous.page("/login"), await (await signed_in("admin")).page("/")]
    for page in pages:
        assets = [node.attributes.get("src") for node in page.css("script")]
        assets += [node.attributes.get("href") for node in page.css("link")]
        assert assets
        for address in assets:
            assert address is not None
            assert re.fullmatch(r"/static/[\w./-]+\?v=[0-9a-f]{12}", address), address
            served = await anonymous.get(address)
            assert served.status_code == 200, address
            assert "immutable" in served.headers["cache-control"]
            assert "max-age=31536000" in served.headers["cache-control"]


@SQLITE_ONLY
async def test_htmx_gets_the_block_and_a_browser_the_whole_page(anonymous: Browser) -> None:
    whole = await anonymous.page("/login")
    assert whole.response.text.lstrip().lower().startswith("<!doctype html>")
    block = await anonymous.page("/login", htmx=True)
    assert block.status == 200
    assert "<html" not in block.response.text
    assert block.first("form[action='/login']")
    refused = await anonymous.submit("/login", {"username": "admin", "password": "x"}, htmx=True)
    assert refused.status == 401
    assert "<html" not in refused.response.text
    assert refused.first("[role=alert]")
    signed = await anonymous.submit("/login", {"username": "admin", "password": DEMO_PASSWORD}, htmx=True)
    assert signed.status == 204
    assert signed.response.headers["hx-redirect"] == "/"
    assert (await anonymous.page("/", htmx=True)).status == 200
    anonymous.client.cookies.delete(SESSION_COOKIE)
    expired = await anonymous.page("/", htmx=True)
    assert expired.status == 204
    assert urlsplit(expired.response.headers["hx-redirect"]).path == "/login"


@SQLITE_ONLY
async def test_unknown_pages_are_a_page_and_unknown_api_paths_a_problem(anonymous: Browser) -> None:
    page = await anonymous.page("/no-such-page", headers={"accept-language": "en"})
    assert page.status == 404
    assert page.response.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text("[role=alert]")
    api = await anonymous.get("/api/v1/no-such-thing", headers={"accept": "text/html"})
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")


@SQLITE_ONLY
async def test_static_files_are_open_and_missing_ones_are_404(anonymous: Browser) -> None:
    assert (await anonymous.get("/static/vendor/htmx/htmx.min.js")).status_code == 200
    assert (await anonymous.get("/static/vendor/htmx/LICENSE")).status_code == 200
    assert (await anonymous.get("/static/nothing.js")).status_code == 404
    assert (await anonymous.get("/static/../api/settings.py")).status_code == 404


@SQLITE_ONLY
@pytest.mark.own_app  # it registers a page
async def test_a_page_a_role_may_not_see_is_403_in_words(app: Litestar, signed_in: SignedIn) -> None:
    from litestar import get

    @get("/only-for-compliance", guards=[allow(Role.COMPLIANCE)])
    async def only_for_compliance() -> str:
        return "secret"

    app.register(app.state[WEB_SHELL_KEY].router_of([only_for_compliance]))
    warehouse = await signed_in("warehouse")
    refused = await warehouse.page("/only-for-compliance", headers={"accept-language": "en"})
    assert refused.status == 403
    assert "You may not open this page" in refused.text("[role=alert]")
    assert "Warehouse staff" in refused.text("[role=alert]")
    in_chinese = await warehouse.page("/only-for-compliance", headers={"accept-language": "zh"})
    assert "您无权打开此页面" in in_chinese.text("[role=alert]")
    assert (await (await signed_in("compliance")).get("/only-for-compliance")).status_code == 200
