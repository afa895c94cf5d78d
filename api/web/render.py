"""Answering a page: the whole page for a plain request, one block of the same template for htmx.

One template per page (``pages/<area>/<page>.html``, extending ``base.html``); the parts that htmx
replaces are ``{% block %}``s of it. `render_page` renders the whole page, or, when the request comes
from htmx (``HX-Request: true``) and names a ``block``, only that block (`jinja2_fragments`).
"""

from __future__ import annotations

from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect
from litestar.status_codes import HTTP_204_NO_CONTENT, HTTP_303_SEE_OTHER

from api.web.locale import RENDERING


class _Rendering:
    """Makes the request known to the template helpers (`api.web.locale.RENDERING`) while the page is
    rendered, which Litestar does in ``to_asgi_response``."""

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **kwargs: Any) -> Any:
        token = RENDERING.set(request)
        try:
            return super().to_asgi_response(app, request, **kwargs)  # type: ignore[misc]
        finally:
            RENDERING.reset(token)


class PageTemplate(_Rendering, HTMXTemplate):
    """A whole page."""


class PageBlockTemplate(_Rendering, HTMXBlockTemplate):
    """One block of a page."""


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """Whether htmx sent the request (and so swaps a part of the page with the answer)."""
    return request.headers.get("hx-request") == "true"


def render_page(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    push_url: str | bool | None = None,
    cookies: list[Cookie] | None = None,
    headers: dict[str, str] | None = None,
) -> HTMXTemplate:
    """The page ``template`` with ``context``; only its ``block`` for an htmx request that asks for one.

    ``push_url`` (htmx only) puts an address in the browser's history, e.g. a list's filters.
    """
    if block is not None and is_htmx(request):
        response: HTMXTemplate = PageBlockTemplate(
            template_name=template,
            block_name=block,
            context=context or {},
            status_code=status_code,
            push_url=push_url,
            cookies=cookies,
            headers=headers,
            media_type=MediaType.HTML,
        )
    else:
        response = PageTemplate(
            template_name=template,
            context=context or {},
            status_code=status_code,
            cookies=cookies,
            headers=headers,
            media_type=MediaType.HTML,
        )
    return response


def see_other(
    request: Request[Any, Any, Any], location: str, *, cookies: list[Cookie] | None = None
) -> Response[Any]:
    """After a form's change, go to ``location``: a 303, so that reloading does not post again. htmx's
    requests would follow a redirect inside the page, so htmx gets a 204 whose ``HX-Redirect`` sends the
    browser there instead."""
    if is_htmx(request):
        return Response(
            None, status_code=HTTP_204_NO_CONTENT, headers={"HX-Redirect": location}, cookies=cookies
        )
    return Redirect(location, status_code=HTTP_303_SEE_OTHER, cookies=cookies)
