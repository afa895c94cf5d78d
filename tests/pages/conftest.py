"""Page fixtures: the application with the demo data loaded, browsers signed in as its users, and HTML
read with CSS selectors.

* ``database_url`` (overriding the suite's): a fresh copy of a database migrated and loaded with the demo
  once per run, on each engine (SQLite: a copy of a file; PostgreSQL: ``CREATE DATABASE ... TEMPLATE``).
  So ``settings``, ``app`` and ``client`` of tests/conftest.py serve the demo here. A test (or a module,
  ``pytestmark = SQLITE_ONLY``) marked `SQLITE_ONLY` runs on SQLite alone.
* ``signed_in``: ``await signed_in("warehouse")`` is a `Browser` with its own cookies, signed in through
  the sign-in form as that demo user (staff: ``admin``, ``warehouse``, ``dispatcher``, ``compliance``;
  customers: their company code in lower case, ``zhb``, ``hsg``, ``xtc``, ``ljl``, ``msu``; the password
  is ``demo``). ``anonymous`` is a `Browser` that has not signed in.
* `Browser.page(path)` answers a `Page` (the response and its parsed HTML: ``page.css("table tr")``,
  ``page.text("h1")``); `Browser.submit(path, fields)` posts a form with the CSRF token, as the page's
  form would; ``htmx=True`` sends it as htmx does.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from api.web import CSRF_COOKIE
from tests.conftest import POSTGRES_ADMIN_URL, _admin, _create_postgres_database, restore_sqlite
from tests.demo import CUSTOMERS, DEMO_PASSWORD, STAFF, load_demo


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with the demo, made once per run."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    load_demo(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def demo_postgres() -> Iterator[str]:
    """The name of a PostgreSQL database with the demo, made once per run and dropped afterwards; only
    ever copied (``CREATE DATABASE ... TEMPLATE``), never connected to by the tests."""
    name = _create_postgres_database()
    try:
        load_demo(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
        yield name
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _clone_postgres(template: str, name: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await connection.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def demo_sqlite_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This worker's SQLite database for page tests (the demo restored in it before each test)."""
    return tmp_path_factory.mktemp("pages") / "spareline.sqlite3"


@pytest.fixture(scope="session")
def demo_postgres_copy() -> Iterator[str]:
    """The name of this worker's PostgreSQL database for page tests (made anew from the demo's before
    each test), dropped at the end."""
    name = f"spareline_pages_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh database with the demo loaded, on each engine: the same address for every test of a
    worker, so that they share one application (`tests.conftest`)."""
    if request.param == "sqlite":
        path = request.getfixturevalue("demo_sqlite_copy")
        restore_sqlite(request.getfixturevalue("demo_sqlite"), path)
        return f"sqlite:///{path}"
    template = request.getfixturevalue("demo_postgres")
    name = request.getfixturevalue("demo_postgres_copy")
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _clone_postgres(template, name)
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""Mark a test (or a module: ``pytestmark = SQLITE_ONLY``) to run on the SQLite demo only."""


@dataclass
class Page:
    """An answer and its HTML."""

    response: httpx.Response
    html: HTMLParser

    @property
    def status(self) -> int:
        return self.response.status_code

    def css(self, selector: str) -> list[Node]:
        return self.html.css(selector)

    def first(self, selector: str) -> Node:
        node = self.html.css_first(selector)
        assert node is not None, f"nothing matches {selector!r} in:\n{self.response.text[:2000]}"
        return node

    def text(self, selector: str = "body") -> str:
        """The text of the first element matching ``selector``, spaces collapsed."""
        return " ".join(self.first(selector).text(separator=" ").split())

    def texts(self, selector: str) -> list[str]:
        return [" ".join(node.text(separator=" ").split()) for node in self.css(selector)]


class Browser:
    """A browser's cookies and the requests its pages make."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    def csrf_token(self) -> str:
        """The CSRF token the pages put in their forms (the cookie's value); empty before any page."""
        return self.client.cookies.get(CSRF_COOKIE) or ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def page(self, path: str, *, htmx: bool = False, headers: dict[str, str] | None = None) -> Page:
        """GET ``path`` as a browser (or htmx) does; the answer parsed."""
        sent = {"accept": "text/html", **(headers or {})}
        if htmx:
            sent |= {"hx-request": "true", "hx-current-url": f"http://testserver{path}"}
        response = await self.client.get(path, headers=sent)
        return Page(response, HTMLParser(response.text))

    async def submit(
        self,
        path: str,
        fields: dict[str, Any] | None = None,
        *,
        htmx: bool = False,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Page:
        """POST a form to ``path`` with the CSRF token (unless ``csrf=False``), as a page's form does."""
        if not self.csrf_token():
            await self.client.get("/login")
        data = dict(fields or {})
        if csrf:
            data.setdefault("_csrf_token", self.csrf_token())
        sent = {"accept": "text/html", **(headers or {})}
        if htmx:
            sent |= {"hx-request": "true", "hx-current-url": "http://testserver/"}
        response = await self.client.post(path, data=data, headers=sent)
        return Page(response, HTMLParser(response.text))

    async def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> Page:
        return await self.submit("/login", {"username": username, "password": password})


@pytest.fixture
async def browsers(app: Litestar, client: httpx.AsyncClient) -> AsyncIterator[Callable[[], Browser]]:
    """Make `Browser` s of the app (each with its own cookies), the app's lifespan running."""
    made: list[httpx.AsyncClient] = []

    def new() -> Browser:
        made.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver"))
        return Browser(made[-1])

    try:
        yield new
    finally:
        for each in made:
            await each.aclose()


@pytest.fixture
def anonymous(browsers: Callable[[], Browser]) -> Browser:
    """A browser that has not signed in."""
    return browsers()


@pytest.fixture
def signed_in(browsers: Callable[[], Browser]) -> Callable[[str], Awaitable[Browser]]:
    """``await signed_in("warehouse")``: a browser signed in as that demo user."""

    async def sign_in(username: str) -> Browser:
        browser = browsers()
        answer = await browser.sign_in(username)
        assert answer.status == 303, answer.response.text[:2000]
        return browser

    return sign_in


__all__ = ["CUSTOMERS", "DEMO_PASSWORD", "SQLITE_ONLY", "STAFF", "Browser", "Page"]
