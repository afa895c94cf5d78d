"""Forecasts of intermittent demand: accuracy, the stock they need, and the periodic job at scale.

``python -m bench.forecasts [--series 1000 --seed 2026] [--scale-depots 300 --scale-parts 50000
--scale-issues 1000000 --engines sqlite,postgresql] [--skip-scale]``

1. **Accuracy.** ``--series`` part x depot series of daily demand over two simulated years, a quarter from
   a known process of each Syntetos-Boylan class (the rate of demand days and the spread of their sizes
   set the class). Over the second year, every week is forecast from the weeks before it (rolling origin,
   one week ahead) by the method `inventory.planning` chooses for the series, by plain Croston and by the
   naive forecast (last week's demand); MASE scales each series' mean absolute error by the in-sample
   mean absolute error of the naive forecast over the first year.
2. **Stock.** The same second year as an inventory simulation: each series has a lead time (1-14 days) and
   a service level (95 %, or 99 % for a platinum-served third); stock is reviewed weekly and ordered up
   to the levels the service sets: each week the series of one service level are a group, as a depot's
   series of one level are in the periodic job, and `inventory.planning.allocation.allocate` spreads the
   group's stock from that week's forecasts so that the group's expected fill rate meets the target
   with the least stock, every series meeting the floor. Demand not met from the shelf is lost to the
   depot. The fill rate reached is set against its target, overall and per demand process; the baseline
   is a fixed min/max rule of thumb (minimum k x the first year's mean demand over the lead time and a
   week, maximum one week's demand above it), with one k for all series tuned by bisection so that it
   reaches the same fill rate, and the average stock on hand of both is compared.
3. **Scale.** `bench.scale_data`'s depots and parts, customers of every tier, and ``--scale-issues``
   issued reservations over the last two years spread over depots and (skewed) parts; then the periodic
   job itself (`jobs.periodic.recompute_demand_forecasts` in a domain context) is timed once per engine.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import numpy as np

from bench.scale_data import Scale, generate, sqlite_stamp
from inventory import persistence
from inventory.planning.allocation import SeriesDemand, allocate
from inventory.planning.demand_class import DemandClass, Method, classify
from inventory.planning.forecasting import forecast, predict
from jobs.periodic import PeriodicParams, recompute_demand_forecasts

DAYS, WEEKS = 730, 104
YEAR_WEEKS = 52
GOALS = {"fill_rate_gap_points": 1.0, "scale_job_s": 600.0}
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# class: (chance of demand on a day, range of the mean size, size spread: 0 steady, 1 wide)
PROCESSES: dict[DemandClass, tuple[tuple[float, float], tuple[float, float], float]] = {
    DemandClass.SMOOTH: ((0.25, 0.6), (1.0, 2.5), 0.0),
    DemandClass.ERRATIC: ((0.3, 0.6), (3.0, 8.0), 1.0),
    DemandClass.INTERMITTENT: ((0.01, 0.08), (1.0, 2.0), 0.0),
    DemandClass.LUMPY: ((0.01, 0.08), (2.0, 6.0), 1.0),
}


@dataclass(frozen=True, slots=True)
class Series:
    process: DemandClass
    daily: np.ndarray
    lead_time_days: int
    fill_rate: float

    @property
    def weekly(self) -> np.ndarray:
        return self.daily[: WEEKS * 7].reshape(WEEKS, 7).sum(axis=1)


def simulate_series(count: int, seed: int) -> list[Series]:
    """``count`` series, a quarter of each class, with their lead times and service levels."""
    rng = np.random.default_rng(seed)
    classes = list(PROCESSES)
    found = []
    for index in range(count):
        process = classes[index % len(classes)]
        (low, high), (size_low, size_high), spread = PROCESSES[process]
        chance = rng.uniform(low, high)
        mean_size = rng.uniform(size_low, size_high)
        days = rng.random(DAYS) < chance
        if spread == 0:
            sizes = 1 + rng.poisson(max(mean_size - 1, 0) * 0.5, DAYS)
        else:
            sizes = 1 + rng.negative_binomial(0.4, 0.4 / (0.4 + max(mean_size - 1, 0.1)), DAYS)
        found.append(
            Series(
                process=process,
                daily=np.where(days, sizes, 0).astype(np.float64),
                lead_time_days=int(rng.choice([1, 2, 3, 7, 14])),
                fill_rate=0.99 if index % 3 == 0 else 0.95,
            )
        )
    return found


# --- accuracy ------------------------------------------------------------------------------------------


@dataclass
class Rolling:
    """One series' one-week-ahead forecasts over the second year: chosen method, Croston, naive, and the
    forecast's dispersion at each origin."""

    chosen: np.ndarray
    croston: np.ndarray
    naive: np.ndarray
    dispersion: np.ndarray
    method: list[str]


def rolling_forecasts(series: Series) -> Rolling:
    weekly = series.weekly
    chosen, croston, naive, dispersion, methods = [], [], [], [], []
    for origin in range(YEAR_WEEKS, WEEKS):
        history = weekly[:origin]
        predicted = forecast(history)
        if predicted is None:
            chosen.append(0.0)
            croston.append(0.0)
            dispersion.append(1.0)
            methods.append("none")
        else:
            chosen.append(predicted.per_period)
            croston.append(predict(history[np.argmax(history > 0) :], Method.CROSTON))
            dispersion.append(predicted.dispersion)
            methods.append(predicted.method.value)
        naive.append(float(history[-1]))
    return Rolling(np.array(chosen), np.array(croston), np.array(naive), np.array(dispersion), methods)


def mase(series: Series, predicted: np.ndarray) -> float | None:
    weekly = series.weekly
    scale = float(np.mean(np.abs(np.diff(weekly[:YEAR_WEEKS]))))
    if scale == 0:
        return None
    return float(np.mean(np.abs(weekly[YEAR_WEEKS:] - predicted))) / scale


# --- stock ---------------------------------------------------------------------------------------------


def run_inventory(series: Series, targets: Callable[[int], int]) -> tuple[float, float, float]:
    """Demand, demand met and the average stock on hand over the second year, reviewing weekly and
    ordering up to ``targets(week)`` (weeks counted from the second year's start)."""
    on_hand = targets(0)
    pipeline: list[tuple[int, int]] = []
    demanded = met = stock = 0.0
    start = YEAR_WEEKS * 7
    for day in range(start, WEEKS * 7):
        arriving = [quantity for due, quantity in pipeline if due == day]
        if arriving:
            on_hand += sum(arriving)
            pipeline = [(due, quantity) for due, quantity in pipeline if due > day]
        if (day - start) % 7 == 0:
            target = targets((day - start) // 7)
            position = on_hand + sum(quantity for _, quantity in pipeline)
            if position < target:
                pipeline.append((day + series.lead_time_days, target - position))
        demand = series.daily[day]
        demanded += demand
        served = min(demand, on_hand)
        met += served
        on_hand -= served
        stock += on_hand
    return demanded, met, stock / (WEEKS * 7 - start)


def forecast_policies(
    group: Sequence[Series], rolling: Sequence[Rolling], fill_rate: float, floor: float | None = None
) -> list[Callable[[int], int]]:
    """Each week's order-up-to levels of a group of series that share ``fill_rate``, allocated together
    from that week's forecasts as the periodic job allocates a depot's series of one service level
    (`inventory.planning.allocation.allocate`; ``floor`` as it takes it)."""
    weekly = [
        allocate(
            [
                SeriesDemand(float(r.chosen[week]), float(r.dispersion[week]), s.lead_time_days)
                for s, r in zip(group, rolling, strict=True)
            ],
            fill_rate,
            floor,
        )
        for week in range(WEEKS - YEAR_WEEKS)
    ]
    return [lambda week, index=index: weekly[week][index] for index in range(len(group))]


def min_max_policy(series: Series, k: float) -> Callable[[int], int]:
    """A fixed rule of thumb: the first year's mean daily demand over the lead time and a week, times k."""
    per_day = float(series.daily[: YEAR_WEEKS * 7].mean())
    minimum = math.ceil(k * per_day * (series.lead_time_days + 7))
    maximum = minimum + math.ceil(per_day * 7)
    return lambda week: maximum if minimum > 0 else 0


def fill_and_stock(chosen: Sequence[Series], policies: Sequence[Callable[[int], int]]) -> tuple[float, float]:
    fill, stock, _ = fill_by_class(chosen, policies)
    return fill, stock


def fill_by_class(
    chosen: Sequence[Series], policies: Sequence[Callable[[int], int]]
) -> tuple[float, float, dict[DemandClass, float]]:
    """The fill rate over all series, their total average stock, and the fill rate of each process."""
    demanded: dict[DemandClass, float] = dict.fromkeys(PROCESSES, 0.0)
    met = dict(demanded)
    stock = 0.0
    for series, policy in zip(chosen, policies, strict=True):
        d, m, s = run_inventory(series, policy)
        demanded[series.process] += d
        met[series.process] += m
        stock += s
    by_class = {process: met[process] / demanded[process] for process in PROCESSES if demanded[process]}
    return sum(met.values()) / sum(demanded.values()), stock, by_class


def tuned_min_max(chosen: Sequence[Series], goal: float) -> tuple[float, float, float]:
    """k, fill rate and stock of the fixed rule whose fill rate is closest to ``goal`` from above."""
    low, high = 0.0, 8.0
    best = None
    for _ in range(18):
        k = (low + high) / 2
        fill, stock = fill_and_stock(chosen, [min_max_policy(series, k) for series in chosen])
        if fill >= goal:
            best = (k, fill, stock)
            high = k
        else:
            low = k
    if best is None:
        fill, stock = fill_and_stock(chosen, [min_max_policy(series, high) for series in chosen])
        best = (high, fill, stock)
    return best


def accuracy_and_stock(count: int, seed: int) -> None:
    started = time.perf_counter()
    series = simulate_series(count, seed)
    rolling = [rolling_forecasts(one) for one in series]
    print(f"\n{count} series over {WEEKS} weeks, {time.perf_counter() - started:.1f} s of forecasting\n")
    print("| process | classed as (weeks 1-104) | MASE chosen | MASE Croston | MASE naive | methods used |")
    print("|---|---|---|---|---|---|")
    for process in [*PROCESSES, None]:
        members = [
            (s, r) for s, r in zip(series, rolling, strict=True) if process is None or s.process is process
        ]
        classed: dict[str, int] = {}
        for s, _ in members:
            pattern = classify(s.weekly)
            name = pattern.demand_class.value if pattern else "none"
            classed[name] = classed.get(name, 0) + 1
        scores = {
            name: [v for s, r in members if (v := mase(s, getattr(r, name))) is not None]
            for name in ("chosen", "croston", "naive")
        }
        used: dict[str, int] = {}
        for _, r in members:
            for method in r.method:
                used[method] = used.get(method, 0) + 1
        label = process.value if process else "all"
        print(
            f"| {label} | {_shares(classed)} | {statistics.mean(scores['chosen']):.3f} | "
            f"{statistics.mean(scores['croston']):.3f} | {statistics.mean(scores['naive']):.3f} | "
            f"{_shares(used)} |"
        )
    print(
        "\n| service level | series | fill rate reached | gap (points) | avg stock, forecast | "
        "min/max k | min/max fill rate | avg stock, min/max | stock saved | fill rate by process: "
        "forecast / min/max |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for level in (0.95, 0.99):
        chosen = [s for s in series if s.fill_rate == level]
        policies = forecast_policies(
            chosen, [r for s, r in zip(series, rolling, strict=True) if s.fill_rate == level], level
        )
        fill, stock, by_class = fill_by_class(chosen, policies)
        k, mm_fill, mm_stock = tuned_min_max(chosen, fill)
        _, _, mm_by_class = fill_by_class(chosen, [min_max_policy(series, k) for series in chosen])
        classes = "; ".join(
            f"{process.value} {by_class[process]:.1%} / {mm_by_class[process]:.1%}" for process in by_class
        )
        gap = (fill - level) * 100
        print(
            f"| {level:.0%} | {len(chosen)} | {fill:.2%} | {gap:+.2f} "
            f"({'met' if abs(gap) <= GOALS['fill_rate_gap_points'] else 'missed'}) | {stock:.0f} | {k:.2f} | "
            f"{mm_fill:.2%} | {mm_stock:.0f} | {1 - stock / mm_stock:.1%} | {classes} |"
        )


def _shares(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return ", ".join(
        f"{name} {count / total:.0%}" for name, count in sorted(counts.items(), key=lambda i: -i[1])
    )


# --- scale ---------------------------------------------------------------------------------------------

TIERS = ("standard", "premium", "platinum")
TICKETS = 3_000


def issue_rows(
    depots: Sequence[int], parts: Sequence[int], tickets: Sequence[int], issues: int, now: datetime, seed: int
) -> list[tuple]:
    """``issues`` issued reservations over the last two years: parts drawn with a Zipf-like skew (a long
    tail of slow movers), depots uniformly."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(parts))]
    chosen_parts = rng.choices(parts, weights=weights, k=issues)
    rows = []
    for part in chosen_parts:
        at = now - timedelta(seconds=rng.uniform(0, WEEKS * 7 * 86_400))
        rows.append((rng.choice(tickets), part, rng.choice(depots), 1 + int(rng.random() < 0.1), at))
    return rows


async def _fill_history(url: str, issues: int, now: datetime, seed: int) -> tuple[int, int]:
    """Customers of every tier, their tickets, and the issue history; the depots and parts counted."""
    if url.startswith("sqlite"):
        path = persistence.sqlite_path(url)
        with sqlite3.connect(path) as connection:
            depots = [row[0] for row in connection.execute("SELECT id FROM depot")]
            parts = [row[0] for row in connection.execute("SELECT id FROM part")]
            for index, tier in enumerate(TIERS, start=1):
                connection.execute(
                    "INSERT INTO customer (id, code, name, tier) VALUES (?, ?, ?, ?)",
                    (index, f"C{index}", tier, tier),
                )
                connection.execute(
                    "INSERT INTO site (id, customer, code, name) VALUES (?, ?, ?, ?)",
                    (index, index, "S", "S"),
                )
            connection.executemany(
                "INSERT INTO ticket (id, customer, site, status) VALUES (?, ?, ?, 'closed')",
                [(n, n % 3 + 1, n % 3 + 1) for n in range(1, TICKETS + 1)],
            )
            connection.executemany(
                "INSERT INTO reservation (ticket, part, depot, quantity, status, closed_at) "
                "VALUES (?, ?, ?, ?, 'issued', ?)",
                [
                    (*row[:4], sqlite_stamp(row[4]))
                    for row in issue_rows(depots, parts, range(1, TICKETS + 1), issues, now, seed)
                ],
            )
        return len(depots), len(parts)
    connection = await asyncpg.connect(url)
    try:
        depots = [row[0] for row in await connection.fetch("SELECT id FROM depot")]
        parts = [row[0] for row in await connection.fetch("SELECT id FROM part")]
        for index, tier in enumerate(TIERS, start=1):
            await connection.execute(
                "INSERT INTO customer (id, code, name, tier) VALUES ($1, $2, $3, $4)",
                index,
                f"C{index}",
                tier,
                tier,
            )
            await connection.execute(
                "INSERT INTO site (id, customer, code, name) VALUES ($1, $2, 'S', 'S')", index, index
            )
        await connection.copy_records_to_table(
            "ticket",
            records=[(n, n % 3 + 1, n % 3 + 1, "closed") for n in range(1, TICKETS + 1)],
            columns=["id", "customer", "site", "status"],
        )
        await connection.copy_records_to_table(
            "reservation",
            records=[
                (*row, "issued")
                for row in issue_rows(depots, parts, range(1, TICKETS + 1), issues, now, seed)
            ],
            columns=["ticket", "part", "depot", "quantity", "closed_at", "status"],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return len(depots), len(parts)


async def _run_job(url: str, now: datetime) -> tuple[float, int]:
    engine = persistence.create_engine(url, create_missing=False)
    with persistence.using_store(persistence.store_for(engine)):
        async with persistence.serving(engine, pool_min_size=1, pool_max_size=4):
            started = time.perf_counter()
            outcome = await recompute_demand_forecasts(now, PeriodicParams())
            return time.perf_counter() - started, int(outcome["forecast_series"] or 0)


def scale_job(engines: Sequence[str], scale: Scale, issues: int, postgres_url: str, seed: int) -> None:
    print("\n| engine | depots x parts | issues | series forecast | data set-up s | job s | goal |")
    print("|---|---|---|---|---|---|---|")
    now = datetime.now(UTC)
    for engine in engines:
        with tempfile.TemporaryDirectory(prefix="bench-forecasts-") as folder:
            database = None
            if engine == "sqlite":
                url = f"sqlite:///{Path(folder) / 'scale.sqlite3'}"
            else:
                database = f"bench_forecasts_{seed}"
                url = asyncio.run(_fresh_postgres(postgres_url, database))
            try:
                started = time.perf_counter()
                generate(url, scale)
                depots, parts = asyncio.run(_fill_history(url, issues, now, seed))
                setup = time.perf_counter() - started
                seconds, series = asyncio.run(_run_job(url, now))
                verdict = "met" if seconds <= GOALS["scale_job_s"] else "missed"
                goal = f"< {GOALS['scale_job_s']:.0f} s: {verdict}"
                print(
                    f"| {engine} | {depots} x {parts} | {issues:,} | {series:,} | {setup:.0f} | "
                    f"{seconds:.1f} | {goal} |"
                )
            finally:
                if database:
                    asyncio.run(_drop_postgres(postgres_url, database))


async def _fresh_postgres(server: str, database: str) -> str:
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
        await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()
    return server.rsplit("/", 1)[0] + f"/{database}"


async def _drop_postgres(server: str, database: str) -> None:
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--scale-depots", type=int, default=300)
    parser.add_argument("--scale-parts", type=int, default=50_000)
    parser.add_argument("--scale-units", type=int, default=100_000)
    parser.add_argument("--scale-issues", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args()
    if not args.skip_accuracy:
        accuracy_and_stock(args.series, args.seed)
    if not args.skip_scale:
        scale = Scale(
            depots=args.scale_depots, parts=args.scale_parts, units=args.scale_units, seed=args.seed
        )
        scale_job(args.engines.split(","), scale, args.scale_issues, args.postgres_url, args.seed)


if __name__ == "__main__":
    main()
