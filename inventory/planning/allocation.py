"""Order-up-to levels for a group of series that share a fill-rate target: the system approach of
spare-parts planners (Sherbrooke's marginal analysis, as in Servigistics, SAP SPP and Syncron). Plain
Python and numpy.

The target applies to the group's demand (a depot's series of one service level): the share of the
group's demand filled from the shelf. Greedy marginal analysis spends stock where it fills the most
demand: starting from each series' floor level, it raises the level of the series whose next step
fills the most demand per unit of stock, until the group's expected fill rate meets the target.
A series' gain per level is not always decreasing (with a lead time, the first units mostly cover
demand before the next arrival), so a step runs to the vertex of the lower convex hull of its curve
that gains the most per unit; over convex curves the greedy is optimal at every amount of stock (Fox
1966), so it finds the least stock that meets the group's rate, and over the others it is optimal at
the hull's vertices and the last step stops at the first level that meets the rate.

**The floor.** The least-stock allocation would starve the series that fill little demand per unit
(slow, lumpy parts) and let the fast movers carry the rate; a customer whose part is such a series would
see it out of stock most of the time although the depot meets its target. So every series first gets
the level that meets a floor: the fill rate short of its target by at most ``FLOOR_SHORTFALL`` times the
target's shortfall (90 % under a 95 % target, 94 % under 97 %, 98 % under 99 %), the margin a planner
allows an item against its group.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inventory.planning.targets import REVIEW_DAYS, ShortageCurve, lowest_level, shortage_curves

FLOOR_SHORTFALL = 2.0
"""A series' fill-rate shortfall may reach this many times its group's (see the module's docstring)."""


@dataclass(frozen=True, slots=True)
class SeriesDemand:
    """A series' forecast demand per week, the history's index of dispersion and its lead time."""

    per_week: float
    dispersion: float
    lead_time_days: int


def floor_rate(fill_rate: float, shortfall: float = FLOOR_SHORTFALL) -> float:
    """The fill rate every series of a group with target ``fill_rate`` meets at least."""
    return max(1.0 - shortfall * (1.0 - fill_rate), 0.0)


def allocate(
    demands: Sequence[SeriesDemand],
    fill_rate: float,
    floor: float | None = None,
    review_days: int = REVIEW_DAYS,
) -> list[int]:
    """The order-up-to level of each of ``demands`` (in their order) with the least stock whose group
    fill rate meets ``fill_rate``, every series meeting ``floor`` (`floor_rate` of the target unless
    given; 0 for none)."""
    if not 0 < fill_rate < 1:
        raise ValueError("the fill rate lies strictly between 0 and 1")
    least = floor_rate(fill_rate) if floor is None else floor
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
    demand per unit of stock (the next vertex of the curve's lower convex hull), the largest saving first."""
    short = curve.short
    if level + 1 >= len(short) or short[level] <= 0:
        return
    saving = (short[level] - short[level + 1 :]) / np.arange(1, len(short) - level)
    best = int(np.argmax(saving))
    if saving[best] > 0:
        heapq.heappush(steps, (-float(saving[best]), index, level + 1 + best))
