"""Signing in and out, the language switch and the home page of each role.

``GET /login`` and ``POST /login`` sign in on the API's users, password checks and login throttle
(`inventory.accounts`); ``POST /logout`` signs out; ``POST /language`` remembers the reader's language;
``GET /`` lists the screens of the signed-in role (`api.web.navigation`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Response
from litestar.status_codes import (
    HTTP_401_UNAUTHORIZED,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from api.security import allow
from api.web.locale import LANGUAGE_COOKIE
from api.web.navigation import links_for
from api.web.render import render_page, see_other
from api.web.sessions import Sessions, local_path
from inventory.accounts import (
    EVERYONE,
    LoginLimits,
    Passwords,
    Principal,
    TooManySignInAttempts,
    authenticate,
    count_sign_in_attempt,
)
from presentation import LOCALES, N_

LOGIN_TEMPLATE = "pages/session/login.html"
LANGUAGE_COOKIE_MAX_AGE_S = 365 * 24 * 3600


@get("/login", name="login")
async def login_form(
    request: Request[Any, Any, Any],
    target: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None,
) -> Any:
    """The sign-in form."""
    return render_page(request, LOGIN_TEMPLATE, {"next": local_path(target), "username": ""}, block="login")


@post("/login", name="sign-in")
async def sign_in(
    request: Request[Any, Any, Any],
    sessions: NamedDependency[Sessions],
    passwords: NamedDependency[Passwords],
    login_limits: NamedDependency[LoginLimits],
    now: NamedDependency[datetime],
) -> Any:
    """Check the username and password as the token endpoint does (the throttle counts the attempt
    first), then open the session and go to the page asked for."""
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = local_path(str(form.get("next") or "/"))
    context: dict[str, Any] = {"next": target, "username": username}
    if not username or not password:
        context["error"] = N_("Enter your username and password.")
        return render_page(
            request, LOGIN_TEMPLATE, context, block="login", status_code=HTTP_422_UNPROCESSABLE_ENTITY
        )
    client = request.client
    try:
        await count_sign_in_attempt(username, client.host if client else None, now=now, limits=login_limits)
    except TooManySignInAttempts as exc:
        context |= {"error": N_("Too many sign-in attempts. Try again in %(seconds)s seconds."),
                    "seconds": exc.retry_after_s}  # fmt: skip
        return render_page(
            request,
            LOGIN_TEMPLATE,
            context,
            block="login",
            status_code=HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(exc.retry_after_s)},
        )
    principal = await authenticate(username, password, passwords)
    if principal is None:
        context["error"] = N_("Wrong username or password.")
        return render_page(request, LOGIN_TEMPLATE, context, block="login", status_code=HTTP_401_UNAUTHORIZED)
    return see_other(request, target, cookies=[sessions.opening(principal)])


@post("/logout", name="sign-out")
async def sign_out(request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]) -> Response[Any]:
    """Close the session (whether or not there was one) and go to the sign-in page."""
    return see_other(request, "/login", cookies=[sessions.closing()])


@post("/language", name="language")
async def choose_language(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
) -> Response[Any]:
    """Remember the reader's language for a year and show the same page in it."""
    form = await request.form()
    language = str(form.get("language") or "")
    cookies = []
    if language in LOCALES:
        cookies.append(
            Cookie(
                key=LANGUAGE_COOKIE,
                value=language,
                max_age=LANGUAGE_COOKIE_MAX_AGE_S,
                path="/",
                httponly=True,
                samesite="lax",
                secure=sessions.secure,
            )
        )
    return see_other(request, local_path(str(form.get("next") or "/")), cookies=cookies)


@get("/", name="home", guards=[allow(*EVERYONE)])
async def home(request: Request[Any, Any, Any], principal: NamedDependency[Principal]) -> Any:
    """The signed-in role's screens, each with a line on what it is for."""
    return render_page(request, "pages/session/home.html", {"links": links_for(principal.role)})


ROUTES = [login_form, sign_in, sign_out, choose_language, home]
