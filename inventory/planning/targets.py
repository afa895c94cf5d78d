"""The stock a depot needs of a part to meet a fill rate over its lead time. Plain Python and numpy.

Demand over a span of days is modelled as a negative binomial with the forecast's mean and the
history's index of dispersion (variance over mean; Poisson when it is not above 1), the usual fit for
intermittent spare parts demand. Stock is reviewed every ``review_days`` and ordered up to a level S
whenever the inventory position is below it; the demand short per review cycle is
``B(S) = E[(D(L+R) - S)+] - E[(D(L) - S)+]`` and the fill rate one minus ``B(S)`` over the demand per
cycle ``E[D(R)]`` (Silver, Pyke and Thomas). The forecast is itself uncertain: the stock must cover
the forecast's error over the span, not only the demand's spread (Silver, Pyke and Thomas size safety
stock by the forecast errors). A forecast exponentially smoothed with constant a varies with a variance of
``a / (2 - a)`` times one period's demand variance (Brown), so over a span of T periods the error's
variance is the demand's ``T d m`` plus ``T^2 a / (2 - a) d m`` (d the dispersion, m the forecast): the
span's index of dispersion is ``d (1 + T a / (2 - a))``. That is the backorder model; a depot that cannot
fill a demand sends it elsewhere, so the demand is lost to the depot, and a lost unit is never replenished:
the depot fills at least the model's rate at the same level (the model errs on the safe side, most with
long lead times).

`shortage_curve` gives ``B`` at every level, `order_up_to` the smallest level that meets one series'
fill rate. The periodic job does not set levels series by series: the target applies to the demand of a
depot's series of one service level together, and `inventory.planning.allocation` spreads their stock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from inventory.planning.forecasting import SMOOTHING

SERVICE_LEVEL_BY_TIER: dict[str, float] = {"standard": 0.95, "premium": 0.97, "platinum": 0.99}
"""The fill rate each customer tier is promised; a depot serving several tiers meets the highest."""

REVIEW_DAYS = 7
"""How often a depot's replenishment is reviewed (the forecasts' period)."""

_TAIL = 1e-12

_FORECAST_VARIANCE = SMOOTHING / (2 - SMOOTHING)
"""The variance of a forecast smoothed with ``SMOOTHING``, over a period's demand variance."""


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


@dataclass(frozen=True, slots=True)
class ShortageCurve:
    """A series' demand per review cycle and its demand short per cycle at order-up-to levels 0, 1, ...
    (non-increasing; its last level is short of next to nothing)."""

    cycle_demand: float
    short: np.ndarray

    def fill_rates(self) -> np.ndarray:
        """The fill rate of every level."""
        return 1.0 - self.short / self.cycle_demand


def _expected_excess(mean: np.ndarray, dispersion: np.ndarray, levels: int) -> np.ndarray:
    """``E[(D - s)+]`` for s = 0 .. levels - 1 (columns), one row per demand D negative binomial of
    ``mean`` and index of ``dispersion`` (Poisson where it is not above 1)."""
    poisson = dispersion <= 1.0 + 1e-9
    positive = mean > 0
    safe_mean = np.where(positive, mean, 1.0)
    size = np.where(poisson, 1.0, safe_mean / np.where(poisson, 1.0, dispersion - 1.0))
    first = np.where(poisson, np.exp(-safe_mean), np.exp(size * np.log(size / (size + safe_mean))))
    counts = np.arange(levels - 1, dtype=np.float64)
    ratios = np.where(
        poisson[:, None],
        safe_mean[:, None] / (counts + 1),
        (counts + size[:, None]) / (counts + 1) * (safe_mean / (size + safe_mean))[:, None],
    )
    probabilities = np.empty((len(mean), levels))
    probabilities[:, 0] = first
    probabilities[:, 1:] = first[:, None] * np.cumprod(ratios, axis=1)
    above = np.maximum(1.0 - np.cumsum(probabilities, axis=1), 0.0)  # P(D > k)
    excess = np.empty_like(above)
    excess[:, 0] = safe_mean
    excess[:, 1:] = safe_mean[:, None] - np.cumsum(above[:, :-1], axis=1)  # E[(D - k)+]
    return np.where(positive[:, None], np.maximum(excess, 0.0), 0.0)


def _with_forecast_error(dispersion: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The index of dispersion of the forecast's error over ``days``, from the demand's per week."""
    return dispersion * (1.0 + days / 7 * _FORECAST_VARIANCE)


def shortage_curves(
    demands: Sequence[tuple[float, float, int]], review_days: int = REVIEW_DAYS
) -> list[ShortageCurve]:
    """`shortage_curve` of each (per week, dispersion, lead time days) of ``demands``, computed together
    (series of about the same number of levels in one array)."""
    curves: list[ShortageCurve] = [ShortageCurve(0.0, np.zeros(1))] * len(demands)
    by_size: dict[int, list[int]] = {}
    wanted: dict[int, int] = {}
    for index, (per_week, dispersion, lead_time_days) in enumerate(demands):
        if per_week > 0:
            days = lead_time_days + review_days
            protected = per_week / 7 * days
            spread = math.sqrt(max(dispersion * (1 + days / 7 * _FORECAST_VARIANCE), 1.0) * protected)
            wanted[index] = int(protected + 12 * spread + 12)
            by_size.setdefault(1 << (wanted[index] - 1).bit_length(), []).append(index)
    for levels, members in by_size.items():
        per_day = np.array([demands[i][0] for i in members]) / 7
        dispersion = np.array([demands[i][1] for i in members], dtype=np.float64)
        lead_time = np.array([demands[i][2] for i in members], dtype=np.float64)
        cycle = per_day * review_days
        protected = lead_time + review_days
        over_protection = _expected_excess(
            per_day * protected, _with_forecast_error(dispersion, protected), levels
        )
        over_lead_time = _expected_excess(
            per_day * lead_time, _with_forecast_error(dispersion, lead_time), levels
        )
        backordered = np.maximum(over_protection - over_lead_time, 0.0)
        vanished = over_protection < _TAIL
        backordered[vanished] = 0.0
        short = np.minimum.accumulate(backordered, axis=1)
        ends = np.where(vanished.any(axis=1), vanished.argmax(axis=1) + 1, levels)
        for row, index in enumerate(members):
            curves[index] = ShortageCurve(float(cycle[row]), short[row, : min(ends[row], wanted[index])])
    return curves


def shortage_curve(
    per_week: float, dispersion: float, lead_time_days: int, review_days: int = REVIEW_DAYS
) -> ShortageCurve:
    """The demand short per review cycle at every order-up-to level, from a demand of ``per_week`` (with
    the history's index of ``dispersion``) over ``lead_time_days`` and the review period; the levels run
    to where the protected span's excess demand vanishes (short of nothing there) or twelve deviations above
    its mean."""
    return shortage_curves([(per_week, dispersion, lead_time_days)], review_days)[0]


def order_up_to(
    per_week: float, dispersion: float, lead_time_days: int, fill_rate: float, review_days: int = REVIEW_DAYS
) -> Target:
    """The smallest order-up-to level whose fill rate meets ``fill_rate`` for demand of ``per_week`` (with
    the history's index of ``dispersion``) over ``lead_time_days`` and the review period."""
    if per_week <= 0:
        return Target(0, 0)
    if not 0 < fill_rate < 1:
        raise ValueError("the fill rate lies strictly between 0 and 1")
    level = lowest_level(shortage_curve(per_week, dispersion, lead_time_days, review_days), fill_rate)
    return Target(reorder_level=level, target_level=level)


def lowest_level(curve: ShortageCurve, fill_rate: float) -> int:
    """The lowest level of ``curve`` whose fill rate meets ``fill_rate`` (its last level if none does)."""
    if curve.cycle_demand <= 0:
        return 0
    meeting = np.flatnonzero(curve.short <= (1.0 - fill_rate) * curve.cycle_demand)
    return int(meeting[0]) if meeting.size else len(curve.short) - 1
