"""The token endpoint and user administration.

The token endpoint counts each attempt against the login throttle before it checks the password
(`inventory.accounts.count_sign_in_attempt`; a refusal is a 429 with ``Retry-After``). The client address
it counts is ``request.client.host``, the peer that uvicorn names: the socket's peer, or, when that peer
is a proxy listed in uvicorn's ``--forwarded-allow-ips``, the nearest address in ``X-Forwarded-For`` that
is not such a proxy (uvicorn's ``ProxyHeadersMiddleware``). The application never reads forwarding
headers itself, so which hops are trusted is decided in one place, where the server is started
(``Procfile``, ``FORWARDED_ALLOW_IPS``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.schemas.accounts import TokenOut, TokenRequest, UserIn, UserOut
from api.security import TokenIssuer, allow
from inventory.accounts import (
    LoginLimits,
    Passwords,
    Role,
    authenticate,
    count_sign_in_attempt,
    create_user,
    list_users,
)


def _without_password(data: UserIn) -> dict[str, Any]:
    """What makes two user creations the same request: all but the password, which is never stored."""
    return data.model_dump(mode="json", exclude={"password"})


class TokenController(Controller):
    path = "/auth"
    tags = ["accounts"]

    @post(
        "/token",
        operation_id="issueToken",
        summary="Sign in for a bearer token",
        description=(
            "Checks a username and password and answers a signed JWT to send as `Authorization: Bearer "
            "<token>` with every other request, valid for `expires_in` seconds. Each attempt counts "
            "against the login throttle first: too many attempts from one address or for one username "
            "within a minute are refused with 429 and `Retry-After`. A wrong username or password is a "
            "401 that does not say which was wrong."
        ),
        status_code=HTTP_200_OK,
        opt={"problems": (400, 401, 413, 415, 422, 429, 503)},
    )
    async def issue_token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenRequest],
        passwords: NamedDependency[Passwords],
        tokens: NamedDependency[TokenIssuer],
        login_limits: NamedDependency[LoginLimits],
        now: NamedDependency[datetime],
    ) -> TokenOut:
        """Exchange a username and password for a bearer token (JWT).

        Returns:
            ``{"access_token", "token_type": "bearer", "expires_in"}``; 401 for a wrong username or password;
            429 with ``Retry-After`` after too many attempts from the client's address or for the username
            within a minute.
        """
        client = request.client
        await count_sign_in_attempt(
            data.username, client.host if client else None, now=now, limits=login_limits
        )
        principal = await authenticate(data.username, data.password, passwords)
        if principal is None:
            raise NotAuthorizedException("wrong username or password")
        return TokenOut(access_token=tokens.issue(principal), expires_in=tokens.ttl_seconds)


class UserController(Controller):
    path = "/users"
    tags = ["accounts"]
    guards = [allow(Role.ADMIN)]

    @get(
        operation_id="listUsers",
        summary="List users",
        description=(
            "The service's users by username, with their role, the company a customer user belongs to, "
            "and whether they are active. Passwords are never shown."
        ),
    )
    async def list_users(self, page: NamedDependency[PageRequest]) -> Page[UserOut]:
        """Users, ordered by username (admin only)."""
        rows = await list_users(limit=page.fetch, offset=page.offset)
        return page_of([UserOut.model_validate(row, from_attributes=True) for row in rows], page)

    @post(
        operation_id="createUser",
        summary="Add a user",
        description=(
            "Creates a user with one role; a customer user is bound to its company (`customer`), which "
            "confines everything it sees. The password is kept only as an Argon2 hash and is not part of "
            "what makes two requests the same. 409 if the username is taken."
        ),
    )
    @idempotent(payload=_without_password)
    async def create_user(
        self,
        data: JSONBody[UserIn],
        passwords: NamedDependency[Passwords],
        now: NamedDependency[datetime],
    ) -> UserOut:
        """Add a user (admin only); ``customer`` binds a customer user to its company."""
        record = await create_user(
            username=data.username,
            password=data.password,
            role=data.role,
            customer=data.customer,
            passwords=passwords,
            now=now,
        )
        return UserOut.model_validate(record, from_attributes=True)
