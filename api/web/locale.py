"""The reader of a page: their language and a `presentation.Presenter` for them, once per request.

The language is the user's choice (the ``spareline_language`` cookie set by the language switch), else
the first language of ``Accept-Language`` the pages speak, else ``UI_DEFAULT_LOCALE``.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar.connection import ASGIConnection

from presentation import Catalogues, Presenter, load_catalogues, negotiate

LANGUAGE_COOKIE = "spareline_language"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
"""``api/locale/<locale>/LC_MESSAGES/<area>.po``: the catalogues of the pages, one file per area."""

RENDERING: ContextVar[ASGIConnection[Any, Any, Any, Any] | None] = ContextVar("rendering", default=None)
"""The request whose page is being rendered (`api.web.render` sets it around the rendering), for the
template helpers called where the template's context has no ``request``: macros, blocks rendered alone."""

CATALOGUES_KEY = "page_catalogues"
DEFAULT_LOCALE_KEY = "page_default_locale"
CLOCK_KEY = "page_clock"
_LOCALE = "page_locale"
_PRESENTER = "page_presenter"


def page_state(catalogues: Catalogues, default_locale: str, clock: Any) -> dict[str, Any]:
    """What the pages keep in ``app.state``: the catalogues, the default language and the clock."""
    return {CATALOGUES_KEY: catalogues, DEFAULT_LOCALE_KEY: default_locale, CLOCK_KEY: clock}


def page_catalogues() -> Catalogues:
    """The catalogues of the pages, read and compiled from ``api/locale``."""
    return load_catalogues(LOCALE_DIR)


def locale_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The language of this request's page (one of `presentation.LOCALES`)."""
    state = connection.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    if _LOCALE not in state:
        state[_LOCALE] = negotiate(
            connection.cookies.get(LANGUAGE_COOKIE),
            connection.headers.get("accept-language"),
            connection.app.state[DEFAULT_LOCALE_KEY],
        )
    return state[_LOCALE]


def presenter_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Presenter:
    """The presenter of this request: its language, translations and the app's clock for "now"."""
    state = connection.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    if _PRESENTER not in state:
        locale = locale_of(connection)
        app_state = connection.app.state
        now = app_state[CLOCK_KEY]() if CLOCK_KEY in app_state else datetime.now(UTC)
        state[_PRESENTER] = Presenter(locale, app_state[CATALOGUES_KEY].for_locale(locale), now)
    return state[_PRESENTER]


def gettext(connection: ASGIConnection[Any, Any, Any, Any], message: str, **variables: object) -> str:
    """``message`` in the language of this request (for messages made in Python, e.g. form errors)."""
    return presenter_of(connection).gettext(message, **variables)
