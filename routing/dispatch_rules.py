"""What a dispatch visit needs, how much its lateness costs, and whose area it is in. Plain Python.

Skills come from what is being repaired: the category of the reserved part, else the asset's model.
Lateness is weighted by severity and customer tier, so that a platinum critical ticket an hour late
costs as much as twelve standard minor tickets an hour late. A site lies in the area of the engineers'
home depot nearest to it, so a dispatch plan for some depots takes the visits of their areas only.
Engineers work on the working days of their home depot's calendar unless their shift names weekdays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from geo.travel import Point, great_circle_km

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names of an engineer's working days, Monday first (``date.weekday()`` order)."""

SKILL_BY_CATEGORY = {
    "disk": "storage",
    "ssd": "storage",
    "controller": "storage",
    "memory": "server",
    "processor": "server",
    "power": "server",
    "cooling": "server",
    "board": "server",
    "gpu": "gpu",
    "network": "network",
    "optics": "network",
}
DEFAULT_SKILL = "server"

SEVERITY_WEIGHT = {"critical": 3, "major": 2, "minor": 1}
TIER_WEIGHT = {"platinum": 4, "premium": 2, "standard": 1}


def skill_for_part(category: str) -> str:
    """The skill needed to fit a part of ``category``."""
    return SKILL_BY_CATEGORY.get(category, DEFAULT_SKILL)


def skill_for_asset(model: str | None) -> str:
    """The skill needed to work on an asset, from words in its model name."""
    name = (model or "").lower()
    if "switch" in name or "router" in name:
        return "network"
    if "storage" in name or "array" in name:
        return "storage"
    if "gpu" in name:
        return "gpu"
    return DEFAULT_SKILL


def lateness_weight(severity: str, tier: str) -> int:
    """Cost of one second late on site: severity weight times tier weight (1 to 12)."""
    return SEVERITY_WEIGHT.get(severity, 1) * TIER_WEIGHT.get(tier, 1)


def area_of(site: Point, homes: Mapping[str, Point]) -> str | None:
    """The code of the home depot in ``homes`` nearest to ``site`` (the first code on a tie), or None."""
    return min(sorted(homes), key=lambda code: great_circle_km(site, homes[code]), default=None)


def working_days(names: Sequence[str]) -> str:
    """The stored form of an engineer's working weekdays: distinct names in week order ("" = calendar).

    Raises:
        ValueError: a name that is not one of `WEEKDAYS`.
    """
    unknown = sorted(set(names) - set(WEEKDAYS))
    if unknown:
        raise ValueError(f"working days are weekday names {list(WEEKDAYS)}, got {unknown}")
    return " ".join(day for day in WEEKDAYS if day in names)


def works_on(day: date, weekdays: str, calendar_working_day: bool) -> bool:
    """Whether an engineer works on ``day``: on the weekdays named in ``weekdays`` (whatever the calendar
    says), or, when none are named, when the home depot's calendar makes ``day`` a working day."""
    if not weekdays:
        return calendar_working_day
    return WEEKDAYS[day.weekday()] in weekdays.split()
