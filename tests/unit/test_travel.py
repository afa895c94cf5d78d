"""The travel estimate: distances, speed bands and the solver matrices."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.travel import Point, SpeedProfile, great_circle_km, road_km, travel_matrix, travel_time

BEIJING = Point(39.9042, 116.4074)
SHANGHAI = Point(31.2304, 121.4737)
GUANGZHOU = Point(23.1291, 113.2644)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        (BEIJING, SHANGHAI, 1067.3),
        (BEIJING, GUANGZHOU, 1888.6),
        (Point(0, 0), Point(0, 180), math.pi * 6371.0088),
        (Point(90, 0), Point(-90, 0), math.pi * 6371.0088),
    ],
)
def test_known_great_circle_distances(a, b, km):
    assert great_circle_km(a, b) == pytest.approx(km, abs=0.1)
    assert great_circle_km(b, a) == great_circle_km(a, b)


def test_road_distance_and_time_by_speed_bands():
    assert road_km(BEIJING, SHANGHAI) == pytest.approx(1067.31 * 1.3, abs=0.1)
    profile = SpeedProfile(road_factor=1.0)
    assert profile.hours_for(14) == pytest.approx(0.4)  # 14 km at 35 km/h
    assert profile.hours_for(90) == pytest.approx(30 / 35 + 1)  # then 60 km at 60 km/h
    assert profile.hours_for(310) == pytest.approx(30 / 35 + 2 + 2)  # 120 km at 60, 160 km at 80
    # Beijing to Shanghai: 1387.5 km of road is 30 km at 35, 120 km at 60 and 1237.5 km at 80.
    expected = 30 / 35 + 2 + (1067.3116 * 1.3 - 150) / 80
    assert travel_time(BEIJING, SHANGHAI).total_seconds() == pytest.approx(expected * 3600, abs=1)


def test_handling_applies_between_different_places_only():
    profile = SpeedProfile(handling=timedelta(minutes=10))
    assert travel_time(BEIJING, BEIJING, profile) == timedelta(0)
    assert travel_time(BEIJING, SHANGHAI, profile) - travel_time(BEIJING, SHANGHAI) == timedelta(minutes=10)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Point(91, 0),
        lambda: Point(0, -180.5),
        lambda: Point(math.nan, 0),
        lambda: SpeedProfile(road_factor=0.9),
        lambda: SpeedProfile(bands=((30.0, 35.0),)),
        lambda: SpeedProfile(bands=((30.0, 35.0), (20.0, 60.0), (math.inf, 80.0))),
        lambda: SpeedProfile(bands=((0.0, 35.0), (math.inf, 80.0))),
        lambda: SpeedProfile(bands=((30.0, 0.0), (math.inf, 80.0))),
        lambda: SpeedProfile(handling=timedelta(minutes=-1)),
    ],
)
def test_bad_input_raises_value_error(make):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        make()


def test_the_matrix_agrees_with_travel_time():
    points = [BEIJING, SHANGHAI, GUANGZHOU, BEIJING, Point(39.95, 116.45)]
    profile = SpeedProfile(handling=timedelta(minutes=5))
    metres, seconds = travel_matrix(points, profile)
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            assert metres[i][j] == round(road_km(a, b, profile) * 1000)
            assert seconds[i][j] == math.ceil(travel_time(a, b, profile).total_seconds())
    assert metres[0][3] == seconds[0][3] == 0
    assert travel_matrix([]) == ([], [])


def test_a_500_point_matrix_is_square_and_symmetric():
    rng = random.Random(7)
    points = [Point(rng.uniform(20, 45), rng.uniform(100, 125)) for _ in range(500)]
    metres, seconds = travel_matrix(points)
    assert len(metres) == len(seconds) == 500
    assert all(metres[i][j] == metres[j][i] for i in range(0, 500, 50) for j in range(500))


POINTS = st.builds(Point, st.floats(-89, 89), st.floats(-180, 180))


@settings(max_examples=200, deadline=None)
@given(a=POINTS, b=POINTS, c=POINTS)
def test_distances_are_a_metric(a, b, c):
    assert great_circle_km(a, a) == 0
    assert great_circle_km(a, b) == great_circle_km(b, a)
    # Haversine loses a few centimetres near antipodal points: allow a metre.
    assert great_circle_km(a, c) <= great_circle_km(a, b) + great_circle_km(b, c) + 1e-3
    assert travel_time(a, b) == travel_time(b, a)


@settings(max_examples=200, deadline=None)
@given(a=POINTS, b=POINTS, c=POINTS)
def test_travel_time_grows_with_distance(a, b, c):
    shorter, longer = sorted([(road_km(a, b), travel_time(a, b)), (road_km(a, c), travel_time(a, c))])
    assert shorter[1] <= longer[1]


@settings(max_examples=200, deadline=None)
@given(first=st.floats(0, 5000), second=st.floats(0, 5000))
def test_driving_hours_are_monotonic_and_bounded_by_the_speeds(first, second):
    profile = SpeedProfile()
    low, high = sorted((first, second))
    assert profile.hours_for(low) <= profile.hours_for(high)
    assert high / 80 <= profile.hours_for(high) + 1e-9 <= high / 35 + 1e-9
