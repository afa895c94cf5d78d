"""From an issue history to the forecast and stock levels of every (depot, part) that had demand.
Plain Python: series without demand in the window are never built, so they cost nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from inventory.planning.allocation import SeriesDemand, allocate
from inventory.planning.forecasting import SeriesForecast, forecast
from inventory.planning.targets import service_level

HISTORY_WEEKS = 104
"""How far back the issue history reaches: two years of weekly demand."""

DEFAULT_LEAD_TIME_DAYS = 7
"""The lead time of a depot outside the hierarchy."""


@dataclass(frozen=True, slots=True)
class Issue:
    """Parts issued to a ticket from a depot: the demand history's unit."""

    depot: int
    part: int
    at: datetime
    quantity: int
    tier: str


@dataclass(frozen=True, slots=True)
class ForecastRow:
    """A series' forecast and the levels that meet its service level over its depot's lead time."""

    depot: int
    part: int
    demand_class: str
    method: str
    per_week: float
    adi: float
    cv2: float
    demand_weeks: int
    history_weeks: int
    service_level: float
    lead_time_days: int
    reorder_level: int
    target_level: int


def weekly_series(
    issues: Iterable[Issue], now: datetime, weeks: int = HISTORY_WEEKS
) -> tuple[dict[tuple[int, int], np.ndarray], dict[tuple[int, int], set[str]]]:
    """The weekly demand of each (depot, part) with any demand in the ``weeks`` before ``now`` (oldest
    week first, the last one ending at ``now``), and the customer tiers it served."""
    series: dict[tuple[int, int], np.ndarray] = {}
    tiers: dict[tuple[int, int], set[str]] = defaultdict(set)
    week = timedelta(weeks=1)
    for issue in issues:
        back = int((now - issue.at) / week)
        if not 0 <= back < weeks:
            continue
        key = (issue.depot, issue.part)
        if key not in series:
            series[key] = np.zeros(weeks)
        series[key][weeks - 1 - back] += issue.quantity
        tiers[key].add(issue.tier)
    return series, tiers


def forecast_rows(
    series: Mapping[tuple[int, int], np.ndarray],
    tiers: Mapping[tuple[int, int], set[str]],
    lead_times: Mapping[int, int],
) -> list[ForecastRow]:
    """One forecast row per series: its class, method and weekly rate, and its levels. The service
    level applies to the demand of a depot's series of that level together: their levels are allocated
    as a group (`inventory.planning.allocation.allocate`) over the depot's lead time."""
    fitted: list[tuple[int, int, int, SeriesForecast, float]] = []
    groups: dict[tuple[int, float], list[int]] = defaultdict(list)
    for (depot, part), history in series.items():
        predicted = forecast(history)
        if predicted is None:
            continue
        level = service_level(tiers.get((depot, part), ()))
        groups[(depot, level)].append(len(fitted))
        fitted.append((depot, part, len(history), predicted, level))
    stock = [0] * len(fitted)
    for (depot, level), members in groups.items():
        lead_time = lead_times.get(depot, DEFAULT_LEAD_TIME_DAYS)
        demands = [SeriesDemand(fitted[i][3].per_period, fitted[i][3].dispersion, lead_time) for i in members]
        for i, allocated in zip(members, allocate(demands, level), strict=True):
            stock[i] = allocated
    rows = []
    for (depot, part, weeks, predicted, level), allocated in zip(fitted, stock, strict=True):
        pattern = predicted.pattern
        rows.append(
            ForecastRow(
                depot=depot,
                part=part,
                demand_class=pattern.demand_class.value,
                method=predicted.method.value,
                per_week=predicted.per_period,
                adi=pattern.adi,
                cv2=pattern.cv2,
                demand_weeks=pattern.demand_periods,
                history_weeks=weeks,
                service_level=level,
                lead_time_days=lead_times.get(depot, DEFAULT_LEAD_TIME_DAYS),
                reorder_level=allocated,
                target_level=allocated,
            )
        )
    return rows
