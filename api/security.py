"""Authentication and authorisation: JWT bearer tokens and role guards (roles, principals and password
hashes are `inventory.accounts`).

Deny by default: the JWT middleware covers every route except the few listed in ``OPEN_PATHS`` and the
web pages, and every controller declares the roles it admits with `allow`. Customers additionally see only
their own company's data; services enforce that with an owner filter in the query (and answer 404).

The web pages (`api.pages`) are the other way in: a session cookie (`api.web.sessions`), checked by a
middleware of their own router, on the same users (`PrincipalCache`) and the same `allow` guards. Each
middleware accepts only its own credential: the bearer middleware skips the routes marked with the
`PAGE_OPT` option, and reads only the ``Authorization`` header; the session middleware runs only on the
page router, and reads only its cookie.

Two memories here are kept per application in each process, never shared between processes, each
bounded:

* `PrincipalCache`: a signed-in user for at most ``PRINCIPAL_CACHE_SECONDS`` (default 5), so a user who is
  deactivated, or whose role changes, keeps the old rights for at most that long in each process; at most
  `MAX_CACHED_PRINCIPALS` users (the cache is emptied when full).
* `CheckedToken`: the payload of a token whose signature and claims were checked, until its ``exp`` (at
  most ``TOKEN_TTL_SECONDS``); at most `MAX_CHECKED_TOKENS` tokens (emptied when full). Nothing in it can
  go stale: a token's check depends only on the token and the settings, both part of the key, and the
  user behind it is looked up through `PrincipalCache` on every request.

The login throttle keeps nothing in the process: it counts in the database
(`inventory.accounts.count_sign_in_attempt`), shared by every process serving it.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import JWTAuth, Token
from litestar.security.jwt.token import JWTDecodeOptions

from api.settings import Settings
from inventory.accounts import Principal, Role, load_principal

TOKEN_ISSUER = "spareline"  # noqa: S105 - the JWT "iss" claim, not a secret

OPEN_PATHS = [
    "^/health",
    "^/metrics$",
    "^/schema",
    "^/api/v1/auth/token$",
    "^/static/",
    "^/login$",
    "^/logout$",
    "^/language$",
]
"""Routes that need neither a token nor a session: health checks, the metrics (internal clients only:
`api.metrics`), the OpenAPI documents, the token endpoint itself, and of the web pages the static files,
signing in and out and choosing the language (forms protected by CSRF all the same)."""

PAGE_OPT = "page"
"""The ``opt`` key the page router sets on every page: the bearer middleware skips those routes (their
session middleware checks them), and their errors are answered as pages (`api.web.errors`)."""


MAX_CACHED_PRINCIPALS = 10_000
"""Users one `PrincipalCache` keeps at most."""
PRINCIPALS_KEY = "principals"
"""Where an application keeps its `PrincipalCache` (``app.state``)."""


class PrincipalCache:
    """Signed-in users for a few seconds, so that a request does not look its user up every time.

    A user deactivated (or changed) in the meantime keeps its old rights for at most ``ttl_seconds``, in
    each process that cached it. At most `MAX_CACHED_PRINCIPALS` users are kept; a full cache is emptied.
    Requests of a user whose entry is missing or stale share one lookup: when an entry expires under
    load, the requests arriving meanwhile wait for the lookup already under way instead of each making
    its own.
    """

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lookups: dict[str, asyncio.Task[Principal | None]] = {}

    async def get(self, username: str) -> Principal | None:
        """The active user, from the cache while it is fresh."""
        cached = self._entries.get(username)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        lookup = self._lookups.get(username)
        if lookup is None or lookup.get_loop() is not asyncio.get_running_loop():
            # A task of its own, in this request's context (the database in use): a caller that goes
            # away does not cancel it for the others.
            lookup = asyncio.create_task(self._load(username))
            self._lookups[username] = lookup
            lookup.add_done_callback(functools.partial(self._looked_up, username))
        return await asyncio.shield(lookup)

    async def _load(self, username: str) -> Principal | None:
        started = time.monotonic()
        principal = await load_principal(username)
        if principal is None:
            self._entries.pop(username, None)
        elif self._ttl > 0:
            if len(self._entries) >= MAX_CACHED_PRINCIPALS:
                self._entries.clear()
            self._entries[username] = (started + self._ttl, principal)
        return principal

    def clear(self) -> None:
        """Forget every user: the next request of each looks its user up again."""
        self._entries.clear()

    def _looked_up(self, username: str, lookup: asyncio.Task[Principal | None]) -> None:
        if self._lookups.get(username) is lookup:
            del self._lookups[username]
        if not lookup.cancelled():
            lookup.exception()  # raised to its callers; retrieved here for when none is left


MAX_CHECKED_TOKENS = 10_000


@dataclass
class CheckedToken(Token):
    """A bearer token whose signature and claims, once checked, are remembered until it expires.

    A client sends the same token with every request; checking it again costs about 30 µs each time.
    Litestar documents `Token.decode_payload` as the way to customise how a token is checked
    ("Customizing token validation"); this one remembers the payload it returned, keyed by the token
    and every setting it was checked against, and uses it again only while its ``exp`` is in the future.

    Each application has a subclass of its own, with its own memory (`checked_token_class`).
    """

    checked: ClassVar[dict[tuple[str, str, str], dict[str, Any]]]
    """The payloads this application has checked, by token and settings."""

    @classmethod
    def decode_payload(
        cls,
        encoded_token: str,
        secret: str,
        algorithms: list[str],
        issuer: str | Sequence[str] | None = None,
        audience: str | Sequence[str] | None = None,
        options: JWTDecodeOptions | None = None,
    ) -> Any:
        # Every argument is part of the key; ``repr`` makes the lists among them hashable.
        key = (encoded_token, secret, repr((algorithms, issuer, audience, options)))
        payload = cls.checked.get(key)
        if payload is None or not payload["exp"] > time.time():
            payload = super().decode_payload(
                encoded_token=encoded_token,
                secret=secret,
                algorithms=algorithms,
                issuer=issuer,
                audience=audience,
                options=options,
            )
            if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int | float):
                return payload  # no expiry to bound the memory by: checked every time
            if len(cls.checked) >= MAX_CHECKED_TOKENS:
                cls.checked.clear()
            cls.checked[key] = payload
        # `Token.decode` rewrites the payload it is given (claims into dates, extras into their own dict).
        return {name: dict(value) if isinstance(value, dict) else value for name, value in payload.items()}


def checked_token_class() -> type[CheckedToken]:
    """A `CheckedToken` class for one application, remembering the tokens it checked in a memory of its
    own."""

    class AppCheckedToken(CheckedToken):
        checked = {}

    return AppCheckedToken


def build_jwt_auth(settings: Settings, principals: PrincipalCache) -> JWTAuth[Principal, CheckedToken]:
    """The JWT middleware configuration: HS256 tokens signed with ``SECRET_KEY``. Its cache of checked
    tokens is its own, and ``principals`` the application's, so each application built with it has its
    own. It checks no page (`PAGE_OPT`)."""

    async def principal_from_token(
        token: CheckedToken, _connection: ASGIConnection[Any, Any, Any, Any]
    ) -> Principal | None:
        return await principals.get(token.sub)

    return JWTAuth[Principal, CheckedToken](
        retrieve_user_handler=principal_from_token,
        token_cls=checked_token_class(),
        token_secret=settings.secret_key.get_secret_value(),
        default_token_expiration=timedelta(seconds=settings.token_ttl_seconds),
        exclude=OPEN_PATHS,
        exclude_opt_key=PAGE_OPT,
        accepted_issuers=[TOKEN_ISSUER],
        require_claims=["exp", "iat"],
    )


class TokenIssuer:
    """Signs bearer tokens for signed-in users."""

    def __init__(self, jwt_auth: JWTAuth[Principal, CheckedToken], ttl_seconds: int) -> None:
        self._jwt_auth = jwt_auth
        self.ttl_seconds = ttl_seconds

    def issue(self, principal: Principal) -> str:
        """A token for ``principal``, valid for ``ttl_seconds``."""
        return self._jwt_auth.create_token(
            identifier=principal.username,
            token_expiration=timedelta(seconds=self.ttl_seconds),
            token_issuer=TOKEN_ISSUER,
            token_extras={"role": principal.role.value},
        )


def allow(*roles: Role):
    """A guard that admits only the given roles (403 for anyone else)."""
    admitted = frozenset(roles)

    # A coroutine, so that Litestar calls it inline instead of handing it to a worker thread.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        principal = connection.scope.get("user")
        if not isinstance(principal, Principal):
            raise NotAuthorizedException("a valid bearer token is required")
        if principal.role not in admitted:
            raise PermissionDeniedException(f"the {principal.role} role may not do this")

    guard.roles = admitted  # type: ignore[attr-defined]
    return guard


__all__ = ["OPEN_PATHS", "PAGE_OPT", "PrincipalCache", "TokenIssuer", "allow", "build_jwt_auth"]
