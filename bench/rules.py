"""Speed of the plain-Python rules on the request path: ``python -m bench.rules [--runs 500]``.

* Business-time arithmetic: 48 business hours added on a Friday afternoon before China's National Day
  (``BusinessCalendar.add_business_time``), the SLA clock's hardest case; baseline in the same run, the
  same 48 hours added on the wall clock. Goal: under 1 ms a call.
* The travel matrix of 500 points (``geo.travel.travel_matrix``), what a regional plan solves on;
  baseline in the same run, 500 x 499 calls of ``great_circle_km``. Goal: under 2 s.

The urgent 4-hour insertion's p95 (goal under 1 s) is measured by ``bench.routing_scale``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from geo.travel import Point, great_circle_km, travel_matrix
from inventory.calendars import BusinessCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
BUSINESS_TIME_GOAL_MS = 1.0
MATRIX_GOAL_S = 2.0


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def per_call_ms(action: Callable[[], object], runs: int) -> float:
    """Mean wall time of ``action`` over ``runs`` calls, in milliseconds."""
    began = time.perf_counter()
    for _ in range(runs):
        action()
    return 1000 * (time.perf_counter() - began) / runs


def business_time(runs: int) -> bool:
    calendar = BusinessCalendar("CN", "Asia/Shanghai")
    start, hours = datetime(2026, 9, 25, 16, 30, tzinfo=SHANGHAI), timedelta(hours=48)
    calendar.add_business_time(start, hours)  # warm the holiday tables
    measured = per_call_ms(lambda: calendar.add_business_time(start, hours), runs)
    baseline = per_call_ms(lambda: start + hours, runs)
    met = measured < BUSINESS_TIME_GOAL_MS
    out(
        f"48 business hours from Fri 25 Sep 2026 16:30: {measured:.3f} ms a call "
        f"(wall clock: {baseline:.4f} ms); goal < {BUSINESS_TIME_GOAL_MS:g} ms: {'met' if met else 'NOT met'}"
    )
    return met


def matrix(points: int, seed: int) -> bool:
    rng = random.Random(seed)
    sites = [Point(30 + rng.random() * 2, 120 + rng.random() * 2) for _ in range(points)]
    began = time.perf_counter()
    travel_matrix(sites)
    measured = time.perf_counter() - began
    began = time.perf_counter()
    for a in sites:
        for b in sites:
            if a is not b:
                great_circle_km(a, b)
    baseline = time.perf_counter() - began
    met = measured < MATRIX_GOAL_S
    out(
        f"travel matrix of {points} points: {measured:.2f} s "
        f"(great-circle distances alone: {baseline:.2f} s); "
        f"goal < {MATRIX_GOAL_S:g} s: {'met' if met else 'NOT met'}"
    )
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="calls of the business-time arithmetic")
    parser.add_argument("--points", type=int, default=500, help="points of the travel matrix")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    results = [business_time(args.runs), matrix(args.points, args.seed)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
