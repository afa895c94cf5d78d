"""The stock a depot needs of a part to meet a fill rate over its lead time. Plain Python.

Demand over a span of days is modelled as a negative binomial with the forecast's mean and the
history's index of dispersion (variance over mean; Poisson when it is not above 1), the usual fit for
intermittent spare parts demand. Stock is reviewed every ``review_days`` and ordered up to a level S
whenever the inventory position is below it; the fill rate of S is the share of demand met from the
shelf, one minus the expected shortage per review cycle over the demand per cycle:
``E[(D(L+R) - S)+] - E[(D(L) - S)+]``, over ``E[D(R)]`` (Silver, Pyke and Thomas). The target is the
smallest S that meets the service level.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

SERVICE_LEVEL_BY_TIER: dict[str, float] = {"standard": 0.95, "premium": 0.97, "platinum": 0.99}
"""The fill rate each customer tier is promised; a depot serving several tiers meets the highest."""

REVIEW_DAYS = 7
"""How often a depot's replenishment is reviewed (the forecasts' period)."""

_TAIL = 1e-12


def service_level(tiers: Iterable[str]) -> float:
    """The fill rate for a series whose demand came from customers of ``tiers``: the highest of them
    (standard's without any)."""
    return max(
        (SERVICE_LEVEL_BY_TIER.get(tier, SERVICE_LEVEL_BY_TIER["standard"]) for tier in tiers),
        default=SERVICE_LEVEL_BY_TIER["standard"],
    )


@dataclass(frozen=True, slots=True)
class Target:
    """Order whenever the inventory position is below ``reorder_level``, up to ``target_level``."""

    reorder_level: int
    target_level: int


def _expected_excess(mean: float, dispersion: float, levels: int) -> list[float]:
    """``E[(D - s)+]`` for s = 0 .. levels - 1, D negative binomial (Poisson for dispersion <= 1)."""
    if mean <= 0:
        return [0.0] * levels
    if dispersion <= 1.0 + 1e-9:
        probability = math.exp(-mean)

        def following(k: int, p: float) -> float:
            return p * mean / (k + 1)

    else:
        size = mean / (dispersion - 1.0)
        chance = mean / (size + mean)
        probability = math.exp(size * math.log(size / (size + mean)))

        def following(k: int, p: float) -> float:
            return p * (k + size) / (k + 1) * chance

    excess = []
    above = 1.0  # P(D > k - 1) = P(D >= k)
    expected = mean
    for k in range(levels):
        excess.append(max(expected, 0.0))
        above -= probability  # now P(D > k)
        expected -= max(above, 0.0)  # E[(D - k - 1)+] = E[(D - k)+] - P(D > k)
        probability = following(k, probability)
    return excess


def order_up_to(
    per_week: float, dispersion: float, lead_time_days: int, fill_rate: float, review_days: int = REVIEW_DAYS
) -> Target:
    """The smallest order-up-to level whose fill rate meets ``fill_rate`` for demand of ``per_week`` (with
    the history's index of ``dispersion``) over ``lead_time_days`` and the review period."""
    if per_week <= 0:
        return Target(0, 0)
    if not 0 < fill_rate < 1:
        raise ValueError("the fill rate lies strictly between 0 and 1")
    per_day = per_week / 7
    cycle = per_day * review_days
    protected = per_day * (lead_time_days + review_days)
    spread = math.sqrt(max(dispersion, 1.0) * protected)
    levels = int(protected + 12 * spread + 12)
    over_protection = _expected_excess(protected, dispersion, levels)
    over_lead_time = _expected_excess(per_day * lead_time_days, dispersion, levels)
    for level in range(levels):
        shortage = over_protection[level] - over_lead_time[level]
        if 1 - shortage / cycle >= fill_rate or over_protection[level] < _TAIL:
            return Target(reorder_level=level, target_level=level)
    return Target(reorder_level=levels, target_level=levels)
