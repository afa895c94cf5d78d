"""Every demo role signs in and finds its home; the sign-in and home pages pass axe; the language switch
shows the pages in Chinese or English."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.web.navigation import links_for
from inventory.accounts import Role
from tests.browser.conftest import check_accessibility, screenshot, sign_in
from tests.demo import CUSTOMERS, STAFF

ROLES = {name: Role(name) for name in STAFF} | dict.fromkeys(CUSTOMERS, Role.CUSTOMER)


def test_the_sign_in_page(page: Any) -> None:
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "登录"
    assert page.evaluate("document.activeElement.id") == "field-username"
    check_accessibility(page)
    screenshot(page, "login")


def test_a_wrong_password_is_said_in_words(page: Any) -> None:
    page.goto("/login")
    page.fill("#field-username", "warehouse")
    page.fill("#field-password", "wrong")
    page.press("#field-password", "Enter")
    alert = page.locator("#login [role=alert]")
    alert.wait_for()
    assert "用户名或密码错误" in alert.inner_text()
    assert page.url.endswith("/login")
    check_accessibility(page)


@pytest.mark.parametrize("username", [*STAFF, *CUSTOMERS])
def test_each_role_signs_in_and_sees_its_home(page: Any, username: str) -> None:
    sign_in(page, username)
    expected = [link.path for link in links_for(ROLES[username])]
    assert (
        page.locator(".home-links a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        == expected
    )
    assert username in page.locator(".app-user").inner_text()
    if username in ("admin", "warehouse", "zhb"):
        check_accessibility(page)
        screenshot(page, f"home-{username}")
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url("**/login")


def test_the_language_switch(page: Any) -> None:
    sign_in(page, "dispatcher")
    assert page.locator("h1").inner_text().startswith("欢迎")
    page.locator("form[action='/language'] button").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text().startswith("Welcome")
    assert page.locator(".app-nav a").all_inner_texts() == [
        "Tickets",
        "Dispatch board",
        "Needs attention",
        "Replacement requests",
        "Sanitization policies",
    ]
    check_accessibility(page)
    screenshot(page, "home-dispatcher-en")
    page.locator("form[action='/language'] button").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "工单" in page.locator(".app-nav").inner_text()


def test_a_page_without_a_session_asks_to_sign_in_then_returns(page: Any) -> None:
    page.goto("/?from=test")
    page.wait_for_url(re.compile(r"/login\?next=/%3Ffrom%3Dtest$"))
    page.fill("#field-username", "admin")
    page.fill("#field-password", "demo")
    page.press("#field-password", "Enter")
    page.wait_for_url(re.compile(r"/\?from=test$"))
    assert page.locator(".home-links a").count() > 0


def test_the_skip_link_and_keyboard_focus(page: Any) -> None:
    sign_in(page, "warehouse")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_header_fits_a_phone(page: Any) -> None:
    sign_in(page, "admin")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_dark_mode_follows_the_system(page: Any) -> None:
    page.emulate_media(color_scheme="dark")
    page.goto("/login")
    dark = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    page.emulate_media(color_scheme="light")
    light = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert dark != light
    page.emulate_media(color_scheme="dark")
    check_accessibility(page)
    screenshot(page, "login-dark")


def test_the_api_documentation_renders_from_the_server_alone(page: Any) -> None:
    page.goto("/schema")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Spareline" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock").first.wait_for()  # the operations, grouped by tag (rendered as they scroll in)
    assert page.locator(".opblock-tag").count() >= 2
    assert "/api/v1/auth/token" in page.locator(".swagger-ui").inner_text()
    screenshot(page, "api-documentation")
