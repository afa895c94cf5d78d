"""Browser sessions: a signed cookie on the same users, roles and password checks as the API.

The pages accept only the session cookie and the API only its bearer token, so neither opens the other:

* the session is an HS256 JWT like the API's tokens, but with its own issuer (`SESSION_ISSUER`): the
  API's middleware refuses it even when it is sent as a bearer token, and the pages refuse an API token
  put in the cookie;
* the page middleware (`CookieOnlyAuthenticationMiddleware`) reads the cookie alone, never the
  ``Authorization`` header; the API's reads the header alone, never a cookie. A cookie reaching
  ``/api/v1`` therefore authenticates nothing there, and the API needs no CSRF protection.

The cookie is HttpOnly, SameSite=Lax, and Secure in production. Who the session's user is comes from the
same `api.security.PrincipalCache` as the API's requests, so a deactivated user loses both within
``PRINCIPAL_CACHE_SECONDS``. A session lasts ``SESSION_TTL_SECONDS`` (one shift by default).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTCookieAuth
from litestar.security.jwt.middleware import JWTCookieAuthenticationMiddleware

from api.security import OPEN_PATHS, CheckedToken, PrincipalCache, checked_token_class
from api.settings import Settings
from inventory.accounts import Principal

SESSION_COOKIE = "spareline_session"
SESSION_ISSUER = "spareline-session"


class CookieOnlyAuthenticationMiddleware(JWTCookieAuthenticationMiddleware):
    """Litestar's cookie JWT middleware, reading the cookie only: a bearer token opens no page."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        encoded_token = connection.cookies.get(self.auth_cookie_key, "")
        if not encoded_token:
            raise NotAuthorizedException("no session")
        return await self.authenticate_token(encoded_token=encoded_token, connection=connection)


class Sessions:
    """The session cookie of one application: its middleware, and the cookies that open and close it."""

    def __init__(self, settings: Settings, principals: PrincipalCache) -> None:
        async def principal_from_session(
            token: CheckedToken, _connection: ASGIConnection[Any, Any, Any, Any]
        ) -> Principal | None:
            return await principals.get(token.sub)

        self.ttl_seconds = settings.session_ttl_seconds
        self.secure = settings.environment == "production"
        self.auth = JWTCookieAuth[Principal, CheckedToken](
            retrieve_user_handler=principal_from_session,
            token_cls=checked_token_class(),
            token_secret=settings.secret_key.get_secret_value(),
            default_token_expiration=timedelta(seconds=self.ttl_seconds),
            key=SESSION_COOKIE,
            secure=self.secure,
            samesite="lax",
            exclude=OPEN_PATHS,
            accepted_issuers=[SESSION_ISSUER],
            require_claims=["exp", "iat"],
            authentication_middleware_class=CookieOnlyAuthenticationMiddleware,
        )

    @property
    def middleware(self) -> Any:
        """The authentication middleware of the page router."""
        return self.auth.middleware

    def opening(self, principal: Principal) -> Cookie:
        """The cookie that signs ``principal`` in for ``SESSION_TTL_SECONDS``."""
        token = self.auth.create_token(
            identifier=principal.username,
            token_expiration=timedelta(seconds=self.ttl_seconds),
            token_issuer=SESSION_ISSUER,
            token_extras={"role": principal.role.value},
        )
        return Cookie(
            key=SESSION_COOKIE,
            value=token,
            max_age=self.ttl_seconds,
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="lax",
        )

    def closing(self) -> Cookie:
        """The cookie that signs out: empty, expired at once."""
        return Cookie(
            key=SESSION_COOKIE,
            value="",
            max_age=0,
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="lax",
        )


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path of this site (``/tickets?tier=premium``), else ``default``: a link to
    another site (``https://...``, ``//host``, ``/\\host``) is never followed after sign-in."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in target):
        return default
    return target
