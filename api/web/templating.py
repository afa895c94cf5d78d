"""The pages' Jinja environment: ``api/templates``, translations, and the helpers every template has.

Templates use, besides Litestar's ``csrf_token()`` and ``csrf_input``:

* translations: ``{{ _("Stock") }}``, ``{% trans %}...{% endtrans %}``, ``ngettext``; message ids are
  English, translated into the request's language (`api.web.locale`);
* filters, all in the reader's language: ``moment|datetime(zone)`` (local time, zone named),
  ``moment|time(zone)``, ``value|date`` (``value|date(zone)`` for a datetime), ``moment|relative``,
  ``span|duration``, ``value|number`` (``value|number(2)``), ``code|words("kind")``, ``zone|zone_name``;
* globals: ``static_url(name)`` (a static file's versioned address), ``nav_links()`` (the signed-in
  role's screens), ``principal()`` (the signed-in user, or None), ``page_locale()``, ``html_lang()``,
  ``new_idempotency_key()``, ``presenter()``, ``url_with(offset=50)`` (this page's address with query
  parameters changed), ``options(choices, selected)`` (a chooser's ``<option>`` elements in one piece:
  `choice_options`).

Macros: every macro of ``api/templates/macros/*.html`` is a global, called without an import (a name
used twice stops the application at start): ``forms.html`` (``form_keys``, ``field``, ``form_errors``),
``table.html`` (``data_table``, ``pagination``), ``problem.html`` (``problem``), ``time.html``
(``local_time``), ``badge.html`` (``status_badge``), ``scan.html`` (``scan_box``), ``map.html``
(``map_assets``, ``map_view``: a map of depots, stops and routes, ``js/map.js``), ``chart.html``
(``stacked_bar_chart``, ``chart_legend``: SVG charts without script). ``csrf_field()`` is the
CSRF token's hidden field (``form_keys()`` includes it); ``forms_possible()`` says whether the answer
has a CSRF token at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context, Macro
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.utils.empty import Empty
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup, escape

from api.web.locale import RENDERING, locale_of, presenter_of
from api.web.navigation import Link, links_for
from api.web.static import StaticFiles
from inventory.accounts import Principal
from presentation import Presenter, html_lang

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
MACROS = "macros"


def _request(context: Context) -> Any:
    """The request of the page: the template's, or (in a macro, or a block rendered alone) the one being
    rendered."""
    request = context.get("request") or RENDERING.get()
    if request is None:
        raise RuntimeError("a page template is rendered outside a request")
    return request


def _presenter(context: Context) -> Presenter:
    return presenter_of(_request(context))


@pass_context
def _gettext(context: Context, message: str) -> str:
    return _presenter(context).translations.gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _presenter(context).translations.ngettext(singular, plural, n)


@pass_context
def _datetime(context: Context, moment: datetime | None, zone: str) -> str:
    return "" if moment is None else _presenter(context).datetime(moment, zone)


@pass_context
def _time(context: Context, moment: datetime | None, zone: str) -> str:
    return "" if moment is None else _presenter(context).time(moment, zone)


@pass_context
def _date(context: Context, value: date | datetime | None, zone: str | None = None) -> str:
    return "" if value is None else _presenter(context).date(value, zone)


@pass_context
def _relative(context: Context, moment: datetime | None) -> str:
    return "" if moment is None else _presenter(context).relative(moment)


@pass_context
def _duration(context: Context, span: timedelta | float | None) -> str:
    if span is None:
        return ""
    return _presenter(context).duration(span if isinstance(span, timedelta) else timedelta(seconds=span))


@pass_context
def _number(context: Context, value: float | Decimal | None, digits: int | None = None) -> str:
    return "" if value is None else _presenter(context).number(value, digits=digits)


@pass_context
def _words(context: Context, code: str | None, kind: str) -> str:
    return _presenter(context).words(kind, code)


@pass_context
def _zone_name(context: Context, zone: str) -> str:
    return _presenter(context).zone_name(zone)


@pass_context
def _principal(context: Context) -> Principal | None:
    user = _request(context).scope.get("user")
    return user if isinstance(user, Principal) else None


@pass_context
def _nav_links(context: Context) -> list[Link]:
    principal = _principal(context)
    return [] if principal is None else links_for(principal.role)


@pass_context
def _page_locale(context: Context) -> str:
    return locale_of(_request(context))


@pass_context
def _html_lang(context: Context) -> str:
    return html_lang(locale_of(_request(context)))


@pass_context
def _presenter_global(context: Context) -> Presenter:
    return _presenter(context)


@pass_context
def _url_with(context: Context, **params: object) -> str:
    """This page's address with the query parameters ``params`` set (None removes one)."""
    request = _request(context)
    query = {name: values for name, values in request.query_params.dict().items() if name not in params}
    query |= {name: [str(value)] for name, value in params.items() if value is not None}
    return request.url.path + (f"?{urlencode(query, doseq=True)}" if query else "")


@pass_context
def _forms_possible(context: Context) -> bool:
    """Whether this answer can carry forms: it has a CSRF token (an address that is no route at all,
    answered with the "not found" page, has none)."""
    return ScopeState.from_scope(_request(context).scope).csrf_token is not Empty


@pass_context
def _csrf_field(context: Context) -> Markup:
    """The hidden field with the CSRF token that every form posting to the pages needs."""
    token = ScopeState.from_scope(_request(context).scope).csrf_token
    value = "" if token is Empty else str(token)
    return Markup('<input type="hidden" name="_csrf_token" value="{}">').format(value)


def choice_options(
    choices: Iterable[Any], selected: str | None = None, *, label: str = "{code} · {name}"
) -> Markup:
    """The ``<option>`` elements of a chooser of records with a ``code`` and a ``name`` (depots,
    customers, sites), the ``selected`` code marked, each labelled by ``label``. One f-string per choice:
    a chooser of the 300 depots written by a template loop costs a page several milliseconds."""
    parts = []
    for choice in choices:
        code = escape(choice.code)
        text = escape(label.format(code=choice.code, name=choice.name))
        mark = " selected" if choice.code == selected else ""
        parts.append(f'<option value="{code}"{mark}>{text}</option>')
    return Markup("".join(parts))  # noqa: S704 (every text escaped)


def new_idempotency_key() -> str:
    """A fresh ``Idempotency-Key`` for one rendering of a form: submitting it twice changes things once."""
    return uuid.uuid4().hex


def environment(static: StaticFiles, directory: Path = TEMPLATES_DIR) -> Environment:
    """The Jinja environment of the pages."""
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext=_gettext, ngettext=_ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        datetime=_datetime,
        time=_time,
        date=_date,
        relative=_relative,
        duration=_duration,
        number=_number,
        words=_words,
        zone_name=_zone_name,
    )
    env.globals.update(
        static_url=static.url,
        nav_links=_nav_links,
        principal=_principal,
        page_locale=_page_locale,
        html_lang=_html_lang,
        presenter=_presenter_global,
        new_idempotency_key=new_idempotency_key,
        url_with=_url_with,
        csrf_field=_csrf_field,
        forms_possible=_forms_possible,
        options=choice_options,
    )
    # Data islands (``|tojson``) in UTF-8 as the page is, not \u-escaped: a third of the bytes of Chinese
    # text; the keys in the order written (HTML-unsafe characters are still escaped by the filter).
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    _register_macros(env, directory / MACROS)
    return env


def _register_macros(env: Environment, directory: Path) -> None:
    """Every macro of ``templates/macros/*.html`` as a global of the environment, so that templates call
    them without importing them (an import at the top of a page is not seen by a block that htmx asks
    for alone)."""
    for path in sorted(directory.glob("*.html")):
        module = env.get_template(f"{MACROS}/{path.name}").module
        for name in dir(module):
            macro = getattr(module, name)
            if isinstance(macro, Macro):
                if name in env.globals:
                    raise ValueError(f"macro {name!r} of {MACROS}/{path.name} clashes with another global")
                env.globals[name] = macro


def template_config(static: StaticFiles) -> TemplateConfig[JinjaTemplateEngine]:
    """Litestar's template configuration for the pages."""
    return TemplateConfig(instance=JinjaTemplateEngine(engine_instance=environment(static)))
