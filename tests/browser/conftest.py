"""The browser suite: Debian's Chromium driven by Playwright's sync API against a live server.

Runs on its own (``make test-browser``: ``pytest tests/browser -o asyncio_mode=strict``): the main suite
ignores this folder, because its asyncio mode and Playwright's sync API do not share a process well.

* Chromium is the system's (``CHROMIUM_PATH``, default ``/usr/bin/chromium``); Playwright never
  downloads one. Without it the suite is skipped, saying how to install it, unless ``REQUIRE_BROWSER=1``
  makes that a failure (CI).
* ``live_server``: one ``python -m api serve`` for the whole run, on a free port of 127.0.0.1, on a
  temporary SQLite database migrated and loaded with the demo, with no map tile server.
* ``page``: a new browser context per test (1440x900, Asia/Shanghai); every request that does not go to
  the live server is aborted and recorded, and the test fails if there was any.
* ``sign_in(page, "warehouse")`` signs in through the form; ``check_accessibility(page)`` fails on any
  serious or critical axe violation; ``screenshot(page, "name")`` saves the page at 1440x900 and 390x844
  under ``var/artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.demo import CHEAP_HASHING, DEMO_PASSWORD, load_demo

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
INSTALL_HINT = "apt-get install chromium fonts-noto-cjk"
SCREENSHOTS = ROOT / "var" / "artifacts" / "screenshots"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SERVER_START_S = 90
SERIOUS = ("serious", "critical")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system's Chromium; the suite skips (or fails with REQUIRE_BROWSER=1) without it."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (CHROMIUM_PATH); install it with: {INSTALL_HINT}"
        if REQUIRE_BROWSER:
            pytest.fail(f"REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of the service running the demo, for the whole run."""
    database = tmp_path_factory.mktemp("live") / "spareline.sqlite3"
    database_url = f"sqlite:///{database}"
    load_demo(database_url)
    port = _free_port()
    log = (tmp_path_factory.mktemp("live-log") / "server.log").open("w")
    env = {
        **os.environ,
        **CHEAP_HASHING,
        "DATABASE_URL": database_url,
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "MAP_TILE_URL": "",
        "DOCUMENT_FOLDER": str(tmp_path_factory.mktemp("documents")),
        "LOG_LEVEL": "WARNING",
        "SWEEP_INTERVAL_S": "0",
        "LOGIN_ATTEMPTS_PER_MINUTE": "10000",
        "LOGIN_ATTEMPTS_PER_USERNAME_PER_MINUTE": "10000",
    }
    env.pop("WEB_CONCURRENCY", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"the live server stopped at start: see {log.name}")
            try:
                if httpx.get(f"{address}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the live server did not answer within {SERVER_START_S} s: see {log.name}")
            time.sleep(0.2)
        yield address
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A page in a context of its own; every request outside the live server is refused and fails the
    test."""
    context = browser.new_context(
        base_url=live_server,
        viewport=DESKTOP,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        reduced_motion="reduce",
    )
    outside: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(f"{live_server}/") or url == live_server:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert outside == [], f"requests outside the server: {outside}"


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form as ``username``; back on the home page."""
    page.goto("/login")
    page.fill("#field-username", username)
    page.fill("#field-password", password)
    page.press("#field-password", "Enter")
    page.wait_for_url("**/", wait_until="load")


def check_accessibility(page: Any) -> None:
    """No serious or critical axe violation on the page as it is."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation.get("impact") in SERIOUS
    ]
    assert bad == [], f"{page.url}: " + "\n".join(bad)


def screenshot(page: Any, name: str) -> list[Path]:
    """Save the page at desktop (1440x900) and phone (390x844) sizes: ``<name>-desktop.png``,
    ``<name>-phone.png``; the page is left at desktop size."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
    page.set_viewport_size(DESKTOP)
    return saved


XTC_GPU_SERVER = {"customer": "XTC", "site": "SZ-IDC", "asset_serial": "XTC-GPU-0042", "severity": "major"}
"""Xintian Cloud Services' GPU server, a ticket's customer, site and asset."""


def issued_on_a_ticket(
    api: httpx.Client, dispatcher: dict[str, str], ticket: dict[str, str], part_number: str, failed: str
) -> int:
    """A ticket (``ticket``: its customer, site, asset, severity and summary) with one ``part_number``
    reserved and issued in place of the failed unit ``failed``, through the JSON API as ``dispatcher``
    (its headers): the ticket's id."""
    opened = api.post("/api/v1/tickets", json=ticket, headers=dispatcher)
    assert opened.status_code == 201, opened.text
    reservation = api.post(
        f"/api/v1/tickets/{opened.json()['id']}/reservations",
        json={"part_number": part_number, "quantity": 1},
        headers=dispatcher,
    )
    assert reservation.status_code == 201, reservation.text
    issued = api.post(
        f"/api/v1/reservations/{reservation.json()['id']}/issue",
        json={"failed_serial": failed},
        headers=dispatcher,
    )
    assert issued.status_code == 200, issued.text
    return opened.json()["id"]
