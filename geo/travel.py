"""Travel estimate between two places: great-circle distance, a road factor and speed bands. Plain Python.

Reservations (which depot reaches the site in time) and the route planner use the same model, so a
promise checked at reservation time holds in the plan.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG)."""


@dataclass(frozen=True, slots=True)
class Point:
    """A place on the map, in decimal degrees (WGS 84)."""

    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not -90.0 <= self.latitude <= 90.0:
            raise ValueError(f"latitude must be within -90..90, got {self.latitude}")
        if not -180.0 <= self.longitude <= 180.0:
            raise ValueError(f"longitude must be within -180..180, got {self.longitude}")


@dataclass(frozen=True, slots=True)
class SpeedProfile:
    """How road distance becomes driving time.

    Attributes:
        road_factor: road distance per great-circle distance (detours of the road network).
        bands: ``(up to km, km/h)`` pairs by increasing limit, the last up to infinity: each stretch of
            a trip's road distance is driven at the speed of its band. The default drives the first
            30 km at 35 km/h (city), the next 120 km at 60 km/h and the rest at 80 km/h.
        handling: a fixed time added to every trip between two different places (parking, walking in).
    """

    road_factor: float = 1.3
    bands: tuple[tuple[float, float], ...] = ((30.0, 35.0), (150.0, 60.0), (math.inf, 80.0))
    handling: timedelta = timedelta(minutes=0)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.road_factor) and self.road_factor >= 1.0):
            raise ValueError(f"road_factor must be a finite number >= 1, got {self.road_factor}")
        limits = [limit for limit, _speed in self.bands]
        increasing = all(a < b for a, b in itertools.pairwise([0.0, *limits]))
        if not limits or limits[-1] != math.inf or not increasing:
            raise ValueError("bands need positive, strictly increasing limits, the last one infinite")
        if any(not (math.isfinite(speed) and speed > 0) for _limit, speed in self.bands):
            raise ValueError("every band needs a positive finite speed")
        if self.handling < timedelta(0):
            raise ValueError(f"handling must not be negative, got {self.handling}")

    def hours_for(self, road_km: float) -> float:
        """Driving hours for ``road_km`` of road, without handling."""
        hours, covered = 0.0, 0.0
        for limit, speed in self.bands:
            stretch = min(road_km, limit) - covered
            if stretch <= 0:
                break
            hours += stretch / speed
            covered = limit
        return hours


DEFAULT_PROFILE = SpeedProfile()


def great_circle_km(a: Point, b: Point) -> float:
    """Great-circle distance in km (haversine on a sphere of the mean Earth radius)."""
    lat_a, lat_b = math.radians(a.latitude), math.radians(b.latitude)
    return _haversine_km(
        lat_b - lat_a, math.radians(b.longitude) - math.radians(a.longitude), math.cos(lat_a), math.cos(lat_b)
    )


def _haversine_km(dlat: float, dlon: float, cos_lat_a: float, cos_lat_b: float) -> float:
    h = math.sin(dlat / 2) ** 2 + cos_lat_a * cos_lat_b * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def road_km(a: Point, b: Point, profile: SpeedProfile = DEFAULT_PROFILE) -> float:
    """Estimated road distance in km: the great-circle distance times the road factor."""
    return great_circle_km(a, b) * profile.road_factor


def travel_time(a: Point, b: Point, profile: SpeedProfile = DEFAULT_PROFILE) -> timedelta:
    """Estimated travel time from ``a`` to ``b``: driving by speed bands plus handling; zero if a == b."""
    distance = road_km(a, b, profile)
    if distance == 0:
        return timedelta(0)
    return timedelta(microseconds=_driving_us(profile, distance)) + profile.handling


def _driving_us(profile: SpeedProfile, road_distance_km: float) -> int:
    return round(profile.hours_for(road_distance_km) * 3_600_000_000)


def travel_matrix(
    points: Sequence[Point], profile: SpeedProfile = DEFAULT_PROFILE
) -> tuple[list[list[int]], list[list[int]]]:
    """Road distances and travel times between all points, for the solvers.

    Distances are rounded to whole metres; times are rounded *up* to whole seconds, so that a plan built
    on them is never earlier than the estimate (rounding down lets time windows slip). Both are
    symmetric with a zero diagonal; ``time[i][j]`` is ``travel_time(points[i], points[j])`` rounded up.

    Returns:
        ``(metres, seconds)``, each a list of ``len(points)`` rows.
    """
    size = len(points)
    lats = [math.radians(p.latitude) for p in points]
    lons = [math.radians(p.longitude) for p in points]
    cos_lats = [math.cos(lat) for lat in lats]
    handling_us = profile.handling // timedelta(microseconds=1)
    metres = [[0] * size for _ in range(size)]
    seconds = [[0] * size for _ in range(size)]
    for i in range(size):
        lat_i, lon_i, cos_i = lats[i], lons[i], cos_lats[i]
        row_m, row_s = metres[i], seconds[i]
        for j in range(i + 1, size):
            distance = (
                _haversine_km(lats[j] - lat_i, lons[j] - lon_i, cos_i, cos_lats[j]) * profile.road_factor
            )
            if distance == 0:
                continue
            row_m[j] = metres[j][i] = round(distance * 1000)
            row_s[j] = seconds[j][i] = -(-(_driving_us(profile, distance) + handling_us) // 1_000_000)
    return metres, seconds
