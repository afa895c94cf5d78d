"""The OpenAPI reader at ``/schema`` loads its script, style and icon from the server's vendored files,
never from another site; pages name their icon, so browsers do not ask for ``/favicon.ico``."""

from __future__ import annotations

import re

from tests.pages.conftest import SQLITE_ONLY, Browser

pytestmark = SQLITE_ONLY

ADDRESSES = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


async def test_the_api_reader_loads_only_vendored_files(anonymous: Browser) -> None:
    for path in ("/schema", "/schema/swagger"):
        answer = await anonymous.get(path)
        assert answer.status_code == 200
        addresses = ADDRESSES.findall(answer.text)
        assert any("swagger-ui-bundle.js" in address for address in addresses)
        assert all(address.startswith("/static/") for address in addresses), addresses
        for address in addresses:
            assert (await anonymous.get(address)).status_code == 200, address


async def test_pages_name_their_icon(anonymous: Browser) -> None:
    page = await anonymous.get("/login")
    icon = re.search(r'<link rel="icon"[^>]*href="([^"]+)"', page.text)
    assert icon is not None
    assert (await anonymous.get(icon.group(1))).headers["content-type"].startswith("image/svg+xml")
