"""Changes to master data (depots, parts, customers, sites, assets): which fields a request really changes,
and the audit entry's payload of their values before and after. Plain Python."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Change:
    """The fields a request changes: ``before`` and ``after`` hold the same fields, only those that
    differ."""

    before: dict[str, Any]
    after: dict[str, Any]

    def __bool__(self) -> bool:
        return bool(self.after)

    def payload(self) -> dict[str, dict[str, Any]]:
        """The audit entry's payload: each side with JSON values (decimals, times and dates as text)."""
        return {"before": _plain(self.before), "after": _plain(self.after)}


def change_of(current: Mapping[str, Any], requested: Mapping[str, Any]) -> Change:
    """What ``requested`` (fields to set) changes in ``current`` (the record as it is); a requested value
    equal to the current one is no change. A field ``current`` does not have is a programming error."""
    before, after = {}, {}
    for field, value in requested.items():
        if current[field] != value:
            before[field], after[field] = current[field], value
    return Change(before, after)


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        field: str(value) if isinstance(value, Decimal | time | date | datetime) else value
        for field, value in values.items()
    }
