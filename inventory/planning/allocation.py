"""Order-up-to levels for a group of series that share a fill-rate target: the system approach of
spare-parts planners (Sherbrooke's marginal analysis, as in Servigistics, SAP SPP and Syncron). Plain
Python and numpy.

The target applies to the group's demand (a depot's series of one service level): the share of the
group's demand filled from the shelf. Greedy marginal analysis spends stock where it fills the most
demand: starting from each series' floor level, it raises the level of the series whose next step
fills the most demand per unit of stock, until the group's expected fill rate meets the target.
A series' gain per level is not always decreasing (with a lead time, the first units mostly cover
demand before the next arrival), so a step runs to the vertex of the lower convex hull of its curve
that gains the most per unit, and the last step stops at the first level that meets the rate. Over
convex curves the greedy is optimal at every amount of stock (Fox 1966), so it finds the least stock
that meets the group's rate; over the others it is exact at the hulls' vertices, within one step.

**The floor.** Left alone, the least-stock allocation starves the series that fill little demand per
unit of stock (slow, lumpy parts) and lets the fast movers carry the rate. Every series first gets the
level that meets ``FLOOR_FILL_RATE``, half its demand: an allocation that fills less than that has in
effect decided that the depot does not stock the part, an assortment decision that is the planner's (a
min/max policy of 0, supply from another depot), not one to make silently. The floor is not the tier's
promise per part: a floor at twice the target's shortfall (90 % under 95 %) holds stock in lumpy series
where it fills little demand; in `bench.forecasts` it takes about 5 % more stock at 95 % for a lower
overall fill rate, and turns the saving against the tuned min/max rule into a loss. At 50 % the floor
costs next to nothing there.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inventory.planning.targets import REVIEW_DAYS, ShortageCurve, lowest_level, shortage_curves

FLOOR_FILL_RATE = 0.5
"""The fill rate every series of a group meets at least (see the module's docstring)."""


@dataclass(frozen=True, slots=True)
class SeriesDemand:
    """A series' forecast demand per week, the history's index of dispersion and its lead time."""

    per_week: float
    dispersion: float
    lead_time_days: int


def allocate(
    demands: Sequence[SeriesDemand],
    fill_rate: float,
    floor: float | None = None,
    review_days: int = REVIEW_DAYS,
) -> list[int]:
    """The order-up-to level of each of ``demands`` (in their order) with the least stock whose group
    fill rate meets ``fill_rate``, every series meeting ``floor`` (``FLOOR_FILL_RATE`` unless given; 0
    for none)."""
    if not 0 < fill_rate < 1:
        raise ValueError("the fill rate lies strictly between 0 and 1")
    least = FLOOR_FILL_RATE if floor is None else floor
    curves = shortage_curves([(d.per_week, d.dispersion, d.lead_time_days) for d in demands], review_days)
    return allocate_curves(curves, fill_rate, least)


def allocate_curves(curves: Sequence[ShortageCurve], fill_rate: float, floor: float) -> list[int]:
    """`allocate` over the series' shortage curves."""
    levels = [lowest_level(curve, floor) if floor > 0 else 0 for curve in curves]
    demand = sum(curve.cycle_demand for curve in curves)
    allowed = (1.0 - fill_rate) * demand
    short = sum(float(curve.short[level]) for curve, level in zip(curves, levels, strict=True))
    if short <= allowed:
        return levels
    steps: list[tuple[float, int, int]] = []
    for index, curve in enumerate(curves):
        _push(steps, curve, index, levels[index])
    while steps and short > allowed:
        _, index, reach = heapq.heappop(steps)
        curve, level = curves[index].short, levels[index]
        if short - (curve[level] - curve[reach]) <= allowed:
            # the last step: the first level on it that meets the group's rate
            meeting = np.flatnonzero(short - (curve[level] - curve[level + 1 : reach + 1]) <= allowed)
            levels[index] = level + 1 + int(meeting[0])
            break
        short -= float(curve[level] - curve[reach])
        levels[index] = reach
        _push(steps, curves[index], index, reach)
    return levels


def _push(steps: list[tuple[float, int, int]], curve: ShortageCurve, index: int, level: int) -> None:
    """Queue the series' best next step from ``level``: to the level beyond it that fills the most
    demand per unit of stock (the next vertex of the curve's lower convex hull), the largest first."""
    short = curve.short
    beyond = len(short) - level - 1
    if beyond <= 0 or short[level] <= 0:
        return
    units = _UNITS[:beyond] if beyond <= len(_UNITS) else np.arange(1, beyond + 1, dtype=np.float64)
    saving = (short[level] - short[level + 1 :]) / units
    best = int(saving.argmax())
    if saving[best] > 0:
        heapq.heappush(steps, (-float(saving[best]), index, level + 1 + best))


_UNITS = np.arange(1, 4097, dtype=np.float64)
