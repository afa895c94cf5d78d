"""Static files under ``/static``: the vendored browser libraries (``api/static/vendor``, see its
README), the pages' own CSS and JavaScript (``api/static/css``, ``api/static/js``) and the maps' offline
basemap (``api/static/basemap``, see its README).

Every file is served with a year-long, immutable cache. That is safe because pages never link a static
file by its bare path: `StaticFiles.url` (the ``static_url`` template global) adds ``?v=`` and a hash of
the file's content, so a changed file has a new address. Files are read once, when the application is
built.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.router import Router
from litestar.static_files import create_static_files_router

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_PATH = "/static"
ONE_YEAR_S = 365 * 24 * 3600


class StaticFiles:
    """The static files of the pages and their versioned addresses."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self.directory = directory
        self._versions = {
            path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            for path in sorted(directory.rglob("*"))
            if path.is_file()
        }

    def url(self, name: str) -> str:
        """The address of the static file ``name`` (``vendor/htmx/htmx.min.js``), versioned by content.

        Raises:
            LookupError: there is no such file (a typo in a template fails its page test).
        """
        version = self._versions.get(name)
        if version is None:
            raise LookupError(f"no static file {name!r} under {self.directory}")
        return f"{STATIC_PATH}/{name}?v={version}"

    def router(self) -> Router:
        """The route serving them, open to everyone, cached for a year."""
        return create_static_files_router(
            path=STATIC_PATH,
            directories=[self.directory],
            cache_control=CacheControlHeader(max_age=ONE_YEAR_S, public=True, immutable=True),
            include_in_schema=False,
            name="static",
        )
