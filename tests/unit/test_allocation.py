"""Stock allocated across a group of series that share a fill-rate target."""

from __future__ import annotations

import itertools

import pytest

from inventory.planning.allocation import FLOOR_FILL_RATE, SeriesDemand, allocate
from inventory.planning.targets import order_up_to, shortage_curve


def _fill_rates(demands: list[SeriesDemand], levels: list[int]) -> tuple[float, list[float]]:
    """The group's expected fill rate at ``levels`` and each series'."""
    curves = [shortage_curve(d.per_week, d.dispersion, d.lead_time_days) for d in demands]
    lost = [float(c.short[min(level, len(c.short) - 1)]) for c, level in zip(curves, levels, strict=True)]
    demand = [c.cycle_demand for c in curves]
    return 1 - sum(lost) / sum(demand), [1 - x / d for x, d in zip(lost, demand, strict=True)]


GROUP = [
    SeriesDemand(6.0, 1.0, 7),  # a steady fast mover
    SeriesDemand(2.5, 3.0, 3),
    SeriesDemand(0.4, 2.5, 14),  # slow and lumpy
    SeriesDemand(0.15, 1.0, 1),
]


def test_the_group_meets_its_rate_with_less_stock_than_each_series_meeting_it_alone():
    levels = allocate(GROUP, 0.95)
    group, each = _fill_rates(GROUP, levels)
    assert group >= 0.95
    alone = [order_up_to(d.per_week, d.dispersion, d.lead_time_days, 0.95).target_level for d in GROUP]
    assert sum(levels) < sum(alone)
    assert sum(allocate(GROUP, 0.95, floor=0)) < sum(alone)
    assert min(each) >= FLOOR_FILL_RATE


@pytest.mark.parametrize("floor", [0.0, 0.8, 0.9])
def test_the_allocation_is_the_least_stock_that_meets_the_rate(floor):
    demands = GROUP[1:]
    levels = allocate(demands, 0.95, floor=floor)
    curves = [shortage_curve(d.per_week, d.dispersion, d.lead_time_days) for d in demands]
    allowed = 0.05 * sum(c.cycle_demand for c in curves)
    least = min(
        sum(combination)
        for combination in itertools.product(*(range(len(c.short)) for c in curves))
        if sum(c.short[level] for c, level in zip(curves, combination, strict=True)) <= allowed
        and all(
            c.short[level] <= (1 - floor) * c.cycle_demand
            for c, level in zip(curves, combination, strict=True)
        )
    )
    assert sum(levels) == least
    group, each = _fill_rates(demands, levels)
    assert group >= 0.95
    assert min(each) >= floor


def test_every_series_meets_the_floor():
    group = [SeriesDemand(20.0, 1.0, 7)] + [SeriesDemand(0.3, 4.0, 14) for _ in range(5)]
    starved = allocate(group, 0.95, floor=0)
    floored = allocate(group, 0.95, floor=0.9)
    assert min(_fill_rates(group, starved)[1]) < 0.9 <= min(_fill_rates(group, floored)[1])
    assert sum(floored) > sum(starved)
    assert _fill_rates(group, floored)[0] >= 0.95


def test_empty_and_demandless_groups_get_no_stock():
    assert allocate([], 0.95) == []
    assert allocate([SeriesDemand(0.0, 1.0, 7), SeriesDemand(0.0, 3.0, 2)], 0.99) == [0, 0]
    levels = allocate([SeriesDemand(0.0, 1.0, 7), SeriesDemand(3.0, 1.0, 7)], 0.95)
    assert levels[0] == 0
    assert levels[1] > 0
    with pytest.raises(ValueError, match="fill rate"):
        allocate(GROUP, 1.0)
