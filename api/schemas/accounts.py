"""Sign-in and user administration."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, StringConstraints, model_validator

from api.schemas.base import Code, RequestModel, ResponseModel, choice
from inventory.accounts import Role

Username = Annotated[str, StringConstraints(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]


class TokenRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username": "dispatcher", "password": "demo"}]}
    )

    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class TokenOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
                    ".eyJleHAiOjE3OTY2MDg1MTIsInN1YiI6ImRpc3BhdGNoZXIiLCJpYXQiOjE3OTY2MDQ5MTIsImlzcyI6InNwYXJlbGluZSIs"
                    "ImV4dHJhcyI6eyJyb2xlIjoiZGlzcGF0Y2hlciJ9fQ.5pHh6othYJgOG4siRv6ie4b54J3flT-89K_d9W4-WQo",
                    "token_type": "bearer",
                    "expires_in": 3600,
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int


class UserIn(RequestModel):
    username: Username
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)]
    role: Annotated[Role, choice(Role)]
    customer: Code | None = None

    @model_validator(mode="after")
    def _customer_only_for_customers(self) -> UserIn:
        if (self.role == Role.CUSTOMER) != (self.customer is not None):
            raise ValueError("customer is required for the customer role, and only for it")
        return self


class UserOut(ResponseModel):
    username: str
    role: Role
    customer: str | None
    active: bool
