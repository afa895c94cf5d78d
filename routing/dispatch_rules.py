"""What a dispatch visit needs, how much its lateness costs, and whose area it is in. Plain Python.

Skills come from what is being repaired: the category of the reserved part, else the asset's model.
Lateness is weighted by severity and customer tier, so that a platinum critical ticket an hour late
costs as much as twelve standard minor tickets an hour late. A site lies in the area of the engineers'
home depot nearest to it, so a dispatch plan for some depots takes the visits of their areas only.
"""

from __future__ import annotations

from collections.abc import Mapping

from geo.travel import Point, great_circle_km

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
