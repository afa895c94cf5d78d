"""Pages and static files are gzip-compressed for a browser that accepts it; the JSON API is not."""

from __future__ import annotations

import gzip

from litestar import Litestar

from api.web import WEB_SHELL_KEY
from tests.pages.conftest import SQLITE_ONLY, Browser

pytestmark = SQLITE_ONLY

GZIP = {"accept-encoding": "gzip"}


async def _raw(browser: Browser, path: str, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    """The answer's headers and its body as sent (not decoded)."""
    async with browser.client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200, path
        return dict(response.headers), b"".join([chunk async for chunk in response.aiter_raw()])


async def test_a_page_comes_gzip_encoded(anonymous: Browser) -> None:
    headers, body = await _raw(anonymous, "/login", GZIP)
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert b'name="username"' in gzip.decompress(body)


async def test_a_vendored_script_comes_gzip_encoded_and_whole(app: Litestar, anonymous: Browser) -> None:
    address = app.state[WEB_SHELL_KEY].static.url("vendor/htmx/htmx.min.js")
    headers, body = await _raw(anonymous, address, GZIP)
    assert headers["content-encoding"] == "gzip"
    shipped = (app.state[WEB_SHELL_KEY].static.directory / "vendor/htmx/htmx.min.js").read_bytes()
    assert gzip.decompress(body) == shipped
    assert len(body) < len(shipped) / 2


async def test_nothing_is_compressed_for_a_client_that_does_not_ask(anonymous: Browser) -> None:
    headers, body = await _raw(anonymous, "/login", {"accept-encoding": "identity"})
    assert "content-encoding" not in headers
    assert b'name="username"' in body


async def test_the_json_api_is_not_compressed(anonymous: Browser) -> None:
    token = await anonymous.client.post(
        "/api/v1/auth/token", json={"username": "warehouse", "password": "demo"}
    )
    headers = {"authorization": f"Bearer {token.json()['access_token']}", **GZIP}
    answer, body = await _raw(anonymous, "/api/v1/stock?limit=200", headers)
    assert "content-encoding" not in answer
    assert body.startswith(b"{")
