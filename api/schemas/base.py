"""Shared base models and field types.

Request bodies are validated strictly (``PydanticPlugin(validate_strict=True)`` in `api.app`): a quantity
is a JSON integer (not ``true``, not ``"5"``), a flag a JSON boolean, and dates and times ISO 8601
strings (not Unix numbers). A field whose JSON form is a string of another type (a date, a time, a
decimal, one of an enumeration's values) converts it with `from_text` or `choice`, or is one of the
types below. Text anywhere in a request may not carry control characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

MAX_ID = 2**31 - 1
"""The largest id of any record (ids are 32-bit integers on PostgreSQL)."""

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""C0 controls but tab, line feed and carriage return; DEL; C1 controls; lone surrogates."""

TIME_OF_DAY_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
MONEY_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"


def control_character(text: str) -> str | None:
    """The first control character in ``text``, as a ``U+XXXX`` name, or None."""
    found = CONTROL_CHARACTERS.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _refuse_control_characters(value: Any) -> None:
    if isinstance(value, str):
        if (character := control_character(value)) is not None:
            raise ValueError(f"text may not contain control characters ({character})")
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_control_characters(item)


class RequestModel(BaseModel):
    """A request body: unknown fields are refused, so nobody can set what the API does not offer;
    types are strict, and text carries no control characters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value: Any, _info: ValidationInfo) -> Any:
        _refuse_control_characters(value)
        return value


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def from_text(parse: Callable[[str], Any], expected: str) -> BeforeValidator:
    """A field whose JSON form is a string: ``parse`` turns the string into the field's type, and strict
    validation then refuses anything else (a number for a date, say)."""

    def convert(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return parse(value)
        except (ValueError, ArithmeticError) as exc:
            raise ValueError(f"give {expected}") from exc

    return BeforeValidator(convert)


def choice(enum: type[StrEnum]) -> BeforeValidator:
    """A field holding one of ``enum``'s values."""
    return from_text(enum, "one of " + ", ".join(repr(member.value) for member in enum))


def _decimal(value: Any) -> Any:
    """A decimal from its string, or from a JSON number (read through its shortest text, not binary)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError as exc:
            raise ValueError('give a decimal string such as "120.50"') from exc
    return value


def _local_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give a local time of day, without an offset")
    return value


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, from_text(date.fromisoformat, "an ISO 8601 date such as 2026-12-06")]
Instant = Annotated[
    AwareDatetime,
    from_text(datetime.fromisoformat, "an ISO 8601 date-time with its offset, e.g. 2026-12-06T09:30+08:00"),
]
"""A date-time with its offset, e.g. ``2026-12-06T09:30:00+08:00``."""
TimeOfDay = Annotated[
    time,
    from_text(time.fromisoformat, "a local time of day such as 08:30"),
    AfterValidator(_local_time),
    Field(json_schema_extra={"format": None, "pattern": TIME_OF_DAY_PATTERN}),
]
"""A local time of day, ``HH:MM[:SS]``."""
Money = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    Field(
        ge=0,
        max_digits=12,
        decimal_places=2,
        description='A decimal string such as "120.50".',
        json_schema_extra={"type": "string", "minimum": None, "pattern": MONEY_PATTERN},
    ),
]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
PartNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
]
Serial = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
]
Label = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(max_length=500)]
TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_timezone)]
