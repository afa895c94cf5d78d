"""The planning rules: demand classes, forecasts, stock targets, the hierarchy and suggestions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from inventory.errors import InvalidRequest
from inventory.planning.allocation import SeriesDemand, allocate
from inventory.planning.demand_class import DemandClass, Method, classify
from inventory.planning.forecasting import forecast, predict
from inventory.planning.hierarchy import check_route
from inventory.planning.replenishment import (
    Levels,
    PolicyKind,
    Position,
    SuggestionKind,
    Supply,
    check_policy,
    parse_suggestion_id,
    propose,
    suggestion_id,
)
from inventory.planning.series import Issue, forecast_rows, weekly_series
from inventory.planning.targets import order_up_to, service_level


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([2, 3, 2, 3, 2, 2, 3, 2], DemandClass.SMOOTH),
        ([1, 9, 1, 12, 1, 1, 8, 1], DemandClass.ERRATIC),
        ([0, 2, 0, 0, 2, 0, 0, 3, 0, 2], DemandClass.INTERMITTENT),
        ([0, 1, 0, 0, 12, 0, 0, 1, 0, 20], DemandClass.LUMPY),
    ],
)
def test_each_syntetos_boylan_class_is_recognised(history, expected):
    pattern = classify(history)
    assert pattern is not None
    assert pattern.demand_class is expected


def test_the_history_counts_from_its_first_demand_and_no_demand_is_no_pattern():
    assert classify([0, 0, 0]) is None
    late = classify([0] * 50 + [1, 1, 1, 1])
    assert late is not None
    assert late.adi == 1.0
    assert late.demand_class is DemandClass.SMOOTH


def test_the_cut_offs_are_adi_1_32_and_cv2_0_49():
    # ADI 4/3 = 1.33 is just above the cut-off; equal sizes have CV² 0.
    assert classify([1, 1, 0, 1]).demand_class is DemandClass.INTERMITTENT
    assert classify([1, 1, 1, 1]).demand_class is DemandClass.SMOOTH
    # sizes 1 and 3: CV² 0.25; sizes 1 and 6: CV² 0.51
    assert classify([1, 3, 1, 3]).demand_class is DemandClass.SMOOTH
    assert classify([1, 6, 1, 6]).demand_class is DemandClass.ERRATIC


def test_the_method_follows_the_class_and_sba_deflates_croston():
    history = [0, 2, 0, 0, 2, 0, 0, 3, 0, 2, 0, 0, 2]
    predicted = forecast(history)
    assert predicted is not None
    assert predicted.method is Method.SBA
    croston = predict(history[1:], Method.CROSTON)
    assert predicted.per_period == pytest.approx(croston * 0.95)
    assert forecast([0, 0, 0]) is None


def test_tsb_follows_demand_that_dies_away_and_croston_does_not():
    history = [0, 1, 0, 0, 12, 0, 1, 0, 0, 20] + [0] * 30
    assert forecast(history).method is Method.TSB
    assert predict(history, Method.TSB) < 0.5 * predict(history, Method.CROSTON)


def test_the_service_level_is_the_highest_tier_served():
    assert service_level([]) == 0.95
    assert service_level(["standard"]) == 0.95
    assert service_level(["standard", "platinum"]) == 0.99
    assert service_level(["premium"]) == 0.97


def test_the_target_meets_the_fill_rate_and_no_more():
    assert order_up_to(0.0, 1.0, 7, 0.95).target_level == 0
    poisson = order_up_to(7.0, 1.0, 7, 0.95)
    assert poisson.reorder_level == poisson.target_level
    # demand over lead time and review (14 days) averages 14: the target lies above it, not far.
    assert 14 < poisson.target_level < 25
    assert order_up_to(7.0, 1.0, 7, 0.99).target_level > poisson.target_level
    assert order_up_to(7.0, 4.0, 7, 0.95).target_level > poisson.target_level
    assert order_up_to(7.0, 1.0, 21, 0.95).target_level > poisson.target_level


def _simulated_fill_rate(
    target: int, per_day: float, lead_time: int, review: int, days: int = 40_000
) -> float:
    """Review every ``review`` days, order up to ``target``, Poisson-like daily demand: the share met."""
    rng = random.Random(7)
    on_hand, pipeline, demanded, met = target, [], 0, 0
    for day in range(days):
        on_hand += sum(quantity for due, quantity in pipeline if due == day)
        pipeline = [(due, quantity) for due, quantity in pipeline if due > day]
        if day % review == 0:
            position = on_hand + sum(quantity for _, quantity in pipeline)
            if position < target:
                pipeline.append((day + lead_time, target - position))
        demand = sum(1 for _ in range(20) if rng.random() < per_day / 20)
        demanded += demand
        met += min(demand, on_hand)
        on_hand = max(on_hand - demand, 0)
    return met / demanded


def test_the_target_reaches_its_fill_rate_in_a_simulation_with_a_margin_for_the_forecasts_error():
    per_day = 1.5
    target = order_up_to(per_day * 7, 1.0, 7, 0.95).target_level
    # the simulation's demand has a known mean; the target allows for a forecast's error besides
    assert _simulated_fill_rate(target, per_day, 7, 7) >= 0.95
    assert _simulated_fill_rate(target - 3, per_day, 7, 7) < 0.95


def test_policy_levels_must_fit_their_kind():
    check_policy(PolicyKind.AUTO, None, None)
    check_policy(PolicyKind.MIN_MAX, 2, 6)
    check_policy(PolicyKind.REORDER_POINT, 0, 0)
    for kind, reorder, target in (
        (PolicyKind.AUTO, 1, 2),
        (PolicyKind.MIN_MAX, None, 3),
        (PolicyKind.MIN_MAX, 5, 3),
        (PolicyKind.REORDER_POINT, -1, 3),
    ):
        with pytest.raises(InvalidRequest):
            check_policy(kind, reorder, target)


def test_min_max_orders_below_the_minimum_and_reorder_point_at_it():
    position = Position(on_hand=5, reserved=1, in_transit=1, on_order=0)  # position 5
    supply = Supply("PEK-C", 2, source_available=100)
    assert propose(Levels(PolicyKind.MIN_MAX, 5, 12), position, supply) is None
    transfer = propose(Levels(PolicyKind.REORDER_POINT, 5, 12), position, supply)
    assert transfer == propose(Levels(PolicyKind.MIN_MAX, 6, 12), position, supply)
    assert (transfer.kind, transfer.quantity, transfer.short_by) == (SuggestionKind.TRANSFER, 7, 0)


def test_a_source_short_of_stock_gives_what_it_has_and_suppliers_are_bought_from():
    position = Position(on_hand=0, reserved=0, in_transit=0, on_order=2)
    levels = Levels(PolicyKind.MIN_MAX, 4, 10)
    short = propose(levels, position, Supply("SHA-C", 3, source_available=3))
    assert (short.quantity, short.needed, short.short_by) == (3, 8, 5)
    assert propose(levels, position, Supply("SHA-C", 3, source_available=0)) is None
    purchase = propose(levels, position, Supply(None, 21, source_available=None))
    assert (purchase.kind, purchase.quantity) == (SuggestionKind.PURCHASE, 8)
    assert propose(Levels(PolicyKind.MIN_MAX, 0, 0), position, Supply(None, 21, None)) is None


def test_a_suggestion_id_changes_with_anything_it_rests_on():
    levels = Levels(PolicyKind.MIN_MAX, 4, 10)
    supply = Supply("SHA-C", 3, source_available=20)
    position = Position(1, 0, 0, 0)
    proposal = propose(levels, position, supply)
    first = suggestion_id(3, 7, proposal, supply, levels, position, None)
    assert first == suggestion_id(3, 7, proposal, supply, levels, position, None)
    assert parse_suggestion_id(first) == (3, 7)
    moved = Position(1, 1, 0, 0)
    assert first != suggestion_id(3, 7, propose(levels, moved, supply), supply, levels, moved, None)
    assert first != suggestion_id(3, 7, proposal, supply, levels, position, datetime(2026, 1, 1, tzinfo=UTC))
    assert parse_suggestion_id("3-7-xyz") is None
    assert parse_suggestion_id("a-7-0123456789abcdef") is None


def test_the_hierarchy_refuses_cycles_and_self_supply():
    routes = {"PEK-C": None, "SHA-C": "PEK-C", "CAN-R": "SHA-C"}
    check_route(routes, "HGH-F", "CAN-R", 2)
    check_route(routes, "CAN-R", None, 14)
    with pytest.raises(InvalidRequest, match="cycle"):
        check_route(routes, "PEK-C", "CAN-R", 2)
    with pytest.raises(InvalidRequest):
        check_route(routes, "PEK-C", "PEK-C", 2)
    with pytest.raises(InvalidRequest):
        check_route(routes, "HGH-F", "PEK-C", 400)


def test_weekly_series_skip_the_depots_and_parts_without_demand():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    issues = [
        Issue(1, 10, datetime(2026, 11, 30, tzinfo=UTC), 2, "standard"),
        Issue(1, 10, datetime(2026, 11, 20, tzinfo=UTC), 1, "platinum"),
        Issue(2, 10, datetime(2020, 1, 1, tzinfo=UTC), 5, "standard"),
    ]
    series, tiers = weekly_series(issues, now, weeks=10)
    assert list(series) == [(1, 10)]
    assert series[(1, 10)].tolist() == [0] * 8 + [1, 2]
    assert tiers[(1, 10)] == {"standard", "platinum"}
    [row] = forecast_rows(series, tiers, {1: 3})
    assert (row.service_level, row.lead_time_days, row.demand_weeks) == (0.99, 3, 2)
    assert row.target_level >= 1


def test_forecast_rows_allocate_a_depots_series_of_one_service_level_together():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    rng = random.Random(3)
    issues = [
        Issue(depot, part, now - timedelta(days=rng.uniform(0, 700)), rng.randint(1, 3), tier)
        for depot in (1, 2)
        for part, tier, count in ((10, "standard", 150), (11, "standard", 8), (12, "platinum", 40))
        for _ in range(count)
    ]
    series, tiers = weekly_series(issues, now)
    rows = {(row.depot, row.part): row for row in forecast_rows(series, tiers, {1: 3, 2: 14})}
    assert len(rows) == 6
    for depot, lead_time in ((1, 3), (2, 14)):
        standard = [rows[(depot, 10)], rows[(depot, 11)]]
        demands = [
            SeriesDemand(row.per_week, forecast(series[(depot, row.part)]).dispersion, lead_time)
            for row in standard
        ]
        assert [row.target_level for row in standard] == allocate(demands, 0.95)
        platinum = rows[(depot, 12)]
        assert platinum.service_level == 0.99
        assert platinum.lead_time_days == lead_time
    assert rows[(2, 10)].target_level > rows[(1, 10)].target_level
