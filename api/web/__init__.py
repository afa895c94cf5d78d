"""The shell of the web pages: sessions, CSRF, templates, languages, static files, errors as pages.

`WebShell` gathers what `api.app.create_app` adds to the application for the pages; the pages
themselves are `api.pages`. Modules:

* `api.web.sessions`: the session cookie (sign in, sign out, the page middleware);
* `api.web.locale`: the reader's language and `presentation.Presenter`;
* `api.web.templating`: the Jinja environment, its filters and globals;
* `api.web.render`: answering a page or, for htmx, one block of it; redirects after a change;
* `api.web.forms`: reading a form with a pydantic model, errors in words;
* `api.web.errors`: errors on the pages as pages;
* `api.web.navigation`: the screens of each role;
* `api.web.static`: ``/static`` and the versioned addresses of its files;
* `api.web.catalogues`: ``make messages``, the message catalogues per area.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Router
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.htmx import HTMXConfig, HTMXPlugin
from litestar.template.config import TemplateConfig

from api.security import PrincipalCache
from api.settings import Settings
from api.web.errors import PageErrors
from api.web.locale import page_catalogues, page_state
from api.web.sessions import Sessions
from api.web.static import StaticFiles
from api.web.templating import template_config

WEB_SHELL_KEY = "web_shell"
"""Where the application keeps its `WebShell` (``app.state``)."""
CSRF_COOKIE = "spareline_csrf"
CSRF_EXEMPT = ["^/api/", "^/health", "^/metrics$", "^/schema", "^/static/"]
"""Paths without CSRF checks: the API (bearer tokens only, no cookie authenticates it), the probes, the
OpenAPI documents and the static files. Every page's form is checked."""
UNCOMPRESSED = ["^/api/", "^/health", "^/metrics$"]
"""Paths answered without compression: the JSON API (its clients are services on the same network; its
latency goals are measured without it), the probes and the metrics. Pages, fragments, the OpenAPI
documents and the static files are gzip-compressed for a client that accepts it."""
GZIP_LEVEL = 6
"""zlib's default: within a few per cent of level 9's size at about half its time."""


class WebShell:
    """What the pages add to one application, built from its settings."""

    def __init__(self, settings: Settings, principals: PrincipalCache, clock: Callable[[], datetime]) -> None:
        from api.pages import page_router

        self.sessions = Sessions(settings, principals)
        self.static = StaticFiles()
        self.template_config: TemplateConfig[Any] = template_config(self.static)
        self.csrf_config = CSRFConfig(
            secret=settings.csrf_key(),
            cookie_name=CSRF_COOKIE,
            cookie_secure=self.sessions.secure,
            cookie_httponly=True,
            cookie_samesite="lax",
            exclude=CSRF_EXEMPT,
        )
        self.compression_config = CompressionConfig(
            backend="gzip", gzip_compress_level=GZIP_LEVEL, exclude=UNCOMPRESSED
        )
        self.state = {**page_state(page_catalogues(), settings.ui_default_locale, clock), WEB_SHELL_KEY: self}
        self.routers: list[Router] = [self.static.router(), page_router(self.sessions)]

    def router_of(self, handlers: list[Any], path: str = "/") -> Router:
        """A page router of ``handlers`` on this application's sessions (for pages added at run time,
        such as a test's: ``app.register(shell.router_of([...], "/test"))``)."""
        from api.pages import page_router

        return page_router(self.sessions, handlers, path=path)

    def schema_pages(self) -> list[OpenAPIRenderPlugin]:
        """The OpenAPI document's reader (Swagger UI at ``/schema`` and ``/schema/swagger``) on the vendored
        copies of its files, so that it too loads nothing from another site."""
        return [
            SwaggerRenderPlugin(
                path="/swagger",
                js_url=self.static.url("vendor/swagger-ui/swagger-ui-bundle.js"),
                css_url=self.static.url("vendor/swagger-ui/swagger-ui.css"),
                standalone_preset_js_url=self.static.url("vendor/swagger-ui/swagger-ui-standalone-preset.js"),
                favicon=f'<link rel="icon" type="image/svg+xml" href="{self.static.url("favicon.svg")}">',
            )
        ]

    @staticmethod
    def plugins() -> list[Any]:
        """htmx's request and response types; `PageErrors` must come after every plugin that registers
        exception handlers."""
        return [HTMXPlugin(HTMXConfig(set_request_class_globally=False)), PageErrors()]


__all__ = ["CSRF_COOKIE", "WEB_SHELL_KEY", "WebShell"]
