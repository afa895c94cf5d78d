"""Failed units coming back from customers: the serial check, the grades and when a return is overdue.
Plain Python."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from inventory.errors import SerialMismatch


class Grade(StrEnum):
    """How a returned unit is graded when it is booked in (it arrives defective)."""

    REPAIRABLE = "repairable"
    SCRAP = "scrap"
    VENDOR_RETURN = "vendor_return"


EXPECTED = "expected"
RECEIVED = "received"


def check_returned_serial(expected: str, returned: str) -> None:
    """Raise `SerialMismatch` naming both unless the unit handed in is the one recorded as failed
    (compared as printed on the label, ignoring case and surrounding spaces)."""
    if expected.strip().casefold() != returned.strip().casefold():
        raise SerialMismatch(
            f"the unit returned ({returned}) is not the failed unit recorded ({expected})",
            field="serial",
            expected=expected,
            returned=returned,
        )


def overdue_from(created_at: datetime, overdue_days: int) -> datetime:
    """When an expected return not yet back becomes overdue and is chased."""
    return created_at + timedelta(days=overdue_days)


def is_overdue(status: str, created_at: datetime, now: datetime, overdue_days: int) -> bool:
    """An expected return not back ``overdue_days`` after the part was issued."""
    return status == EXPECTED and now >= overdue_from(created_at, overdue_days)
