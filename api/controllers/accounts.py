"""The token endpoint and user administration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from api.idempotency import idempotent
from api.pagination import Page, PageRequest, page_of
from api.schemas.accounts import TokenOut, TokenRequest, UserIn, UserOut
from api.security import TokenIssuer, allow
from inventory.accounts import Passwords, Role, authenticate, create_user, list_users


def _without_password(data: UserIn) -> dict[str, Any]:
    """What makes two user creations the same request: all but the password, which is never stored."""
    return data.model_dump(mode="json", exclude={"password"})


class TokenController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/token",
        operation_id="issueToken",
        status_code=HTTP_200_OK,
        opt={"problems": (400, 401, 413, 415, 422, 429, 503)},
    )
    async def issue_token(
        self,
        data: JSONBody[TokenRequest],
        passwords: NamedDependency[Passwords],
        tokens: NamedDependency[TokenIssuer],
    ) -> TokenOut:
        """Exchange a username and password for a bearer token (JWT).

        Returns:
            ``{"access_token", "token_type": "bearer", "expires_in"}``; 401 for a wrong username or password.
        """
        principal = await authenticate(data.username, data.password, passwords)
        if principal is None:
            raise NotAuthorizedException("wrong username or password")
        return TokenOut(access_token=tokens.issue(principal), expires_in=tokens.ttl_seconds)


class UserController(Controller):
    path = "/users"
    tags = ["users"]
    guards = [allow(Role.ADMIN)]

    @get(operation_id="listUsers")
    async def list_users(self, page: NamedDependency[PageRequest]) -> Page[UserOut]:
        """Users, ordered by username (admin only)."""
        rows = await list_users(limit=page.fetch, offset=page.offset)
        return page_of([UserOut.model_validate(row, from_attributes=True) for row in rows], page)

    @post(operation_id="createUser")
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
