"""Places and the travel between them, below both the inventory (which depot reaches a site in time) and
routing (the plans), so that a promise checked at reservation time holds in the plan."""

from geo.travel import (
    DEFAULT_PROFILE,
    Point,
    SpeedProfile,
    great_circle_km,
    road_km,
    travel_matrix,
    travel_time,
)

__all__ = [
    "DEFAULT_PROFILE",
    "Point",
    "SpeedProfile",
    "great_circle_km",
    "road_km",
    "travel_matrix",
    "travel_time",
]
