"""One period's demand forecast of an intermittent demand history, by the method its Syntetos-Boylan
class calls for, from Nixtla's statsforecast (`CrostonClassic`, `CrostonSBA`, `TSB`). Plain Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from inventory.planning.demand_class import Method, Pattern, classify

SMOOTHING = 0.1
"""The smoothing constant of every method's estimates (statsforecast fixes Croston's and SBA's at 0.1)."""

TSB_ALPHA_DEMAND = SMOOTHING
TSB_ALPHA_PROBABILITY = SMOOTHING
"""TSB's smoothing constants of demand size and of the probability of demand."""


@cache
def _model(method: Method) -> Any:
    """statsforecast's model of ``method``, imported on first use: statsforecast takes seconds to import,
    and every process of the service (web, worker, commands) would pay that at start-up otherwise."""
    from statsforecast.models import TSB, CrostonClassic, CrostonSBA

    if method is Method.TSB:
        return TSB(alpha_d=TSB_ALPHA_DEMAND, alpha_p=TSB_ALPHA_PROBABILITY)
    return CrostonSBA() if method is Method.SBA else CrostonClassic()


@dataclass(frozen=True, slots=True)
class SeriesForecast:
    """The forecast of the next period's mean demand, the method that made it, the series' pattern and
    its index of dispersion (variance over mean of the demand per period, since its first demand)."""

    per_period: float
    method: Method
    pattern: Pattern
    dispersion: float


def predict(history: Sequence[float], method: Method) -> float:
    """The next period's mean demand of ``history`` (oldest first) by ``method``."""
    values = np.asarray(history, dtype=np.float64)
    return max(float(_model(method).forecast(values, h=1)["mean"][0]), 0.0)


def forecast(history: Sequence[float]) -> SeriesForecast | None:
    """Classify ``history`` (periods oldest first, from the first with demand or earlier) and forecast
    its next period with its class's method; None for a history without demand."""
    values = np.asarray(history, dtype=np.float64)
    pattern = classify(values.tolist())
    if pattern is None:
        return None
    active = values[np.flatnonzero(values > 0)[0] :]
    mean = float(active.mean())
    dispersion = float(active.var()) / mean if mean > 0 else 1.0
    return SeriesForecast(
        per_period=max(float(_model(pattern.method).forecast(active, h=1)["mean"][0]), 0.0),
        method=pattern.method,
        pattern=pattern,
        dispersion=dispersion,
    )
