"""The web pages: server-rendered HTML for each role, on the same services as the JSON API.

Every module of this package with a ``ROUTES`` list is a module of pages, found and mounted by
`page_router` (there is no list to edit). One module per area of the pages: ``session.py`` (signing in
and out, the language, the home page), ``warehouse.py``, ``tickets.py``, ``dispatch.py``, ``portal.py``,
``compliance.py``. To add pages (see docs/architecture.md, "Web pages", for the whole recipe):

1. In ``api/pages/<area>.py``, write thin handlers with Litestar's ``@get``/``@post`` that call the same
   services as the API's controllers (``api/controllers/*``), each declaring the roles it admits with
   ``guards=[allow(Role.X, ...)]`` (a route without a role guard fails tests/api/test_auth.py), and
   answering with `api.web.render.render_page` (the whole page, or one block of it for htmx). Customers'
   handlers pass ``principal.viewer`` to the services, which answer NotFound for other companies (404).
2. Collect them in ``ROUTES = [...]`` at the end of the module.
3. Templates go in ``api/templates/pages/<area>/``, each extending ``base.html``; message ids in the
   module and its templates are English, translated in ``api/locale/zh_CN/LC_MESSAGES/<area>.po``
   (``make messages AREA=<area>``).
4. Add the screen to the navigation (`api.web.navigation.NAVIGATION`) with the same roles.
5. Test it in ``tests/pages/test_<area>.py`` with the fixtures of ``tests/pages/conftest.py``.

Every page route carries the `api.security.PAGE_OPT` option: the API's bearer middleware skips it, the
session middleware (on this router only) checks it, and its errors are answered as pages
(`api.web.errors`).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from litestar import Router
from litestar.di import Provide
from litestar.plugins.htmx import HTMXRequest

from api.security import PAGE_OPT
from api.web.sessions import Sessions


def page_modules() -> list[Any]:
    """The modules of pages: every module of this package with a ``ROUTES`` list, by name."""
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if isinstance(getattr(module, "ROUTES", None), list):
            modules.append(module)
    return modules


def page_router(sessions: Sessions, handlers: list[Any] | None = None, *, path: str = "/") -> Router:
    """The router of every page (or of ``handlers``, under ``path``): the session middleware, htmx's
    request class, out of the OpenAPI document, and the ``sessions`` dependency (what signs in and
    out)."""
    return Router(
        path=path,
        route_handlers=handlers if handlers is not None else [h for m in page_modules() for h in m.ROUTES],
        middleware=[sessions.middleware],
        dependencies={"sessions": Provide(lambda: sessions, sync_to_thread=False, use_cache=True)},
        opt={PAGE_OPT: True},
        include_in_schema=False,
        request_class=HTMXRequest,
    )
