"""Solomon VRPTW instances: read the text format, and turn one into a `RoutingProblem`.

The benchmark's arithmetic (docs/benchmarks.md): distances are Euclidean in double
precision and travel time equals distance; the solvers get integers scaled by ``SCALE`` with travel
times rounded *up* (so a plan that keeps the windows in integers keeps them in doubles) and costs
rounded to nearest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from routing.model import Limits, Objective, RoutingProblem, Stop, TimeWindow, Vehicle

SCALE = 1000


@dataclass(frozen=True, slots=True)
class SolomonInstance:
    """One instance; customer 0 is the depot. Times and coordinates as in the file."""

    name: str
    vehicles: int
    capacity: int
    x: tuple[float, ...]
    y: tuple[float, ...]
    demand: tuple[int, ...]
    ready: tuple[float, ...]
    due: tuple[float, ...]
    service: tuple[float, ...]

    def distance(self) -> list[list[float]]:
        """Euclidean distances in double precision (also the travel times)."""
        n = len(self.x)
        return [
            [math.hypot(self.x[i] - self.x[j], self.y[i] - self.y[j]) for j in range(n)] for i in range(n)
        ]


def read_solomon(path: Path) -> SolomonInstance:
    """Parse a Solomon file: name, ``VEHICLE`` (number, capacity), ``CUSTOMER`` rows of seven numbers."""
    lines = [line.split() for line in path.read_text().splitlines()]
    lines = [fields for fields in lines if fields]
    name = lines[0][0]
    vehicles = capacity = None
    rows: list[list[float]] = []
    for fields in lines[1:]:
        if all(_is_number(f) for f in fields):
            if len(fields) == 2 and vehicles is None:
                vehicles, capacity = int(fields[0]), int(fields[1])
            elif len(fields) == 7:
                rows.append([float(f) for f in fields])
    if vehicles is None or capacity is None or not rows:
        raise ValueError(f"{path}: not a Solomon instance")
    rows.sort(key=lambda row: row[0])
    if [int(row[0]) for row in rows] != list(range(len(rows))):
        raise ValueError(f"{path}: customers must be numbered 0..n-1")
    return SolomonInstance(
        name,
        vehicles,
        capacity,
        tuple(row[1] for row in rows),
        tuple(row[2] for row in rows),
        tuple(int(row[3]) for row in rows),
        tuple(row[4] for row in rows),
        tuple(row[5] for row in rows),
        tuple(row[6] for row in rows),
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_problem(instance: SolomonInstance, *, scale: int = SCALE) -> RoutingProblem:
    """The instance as a `RoutingProblem`: one location per customer, distance-only objective.

    Stop ids are the customer numbers as strings; vehicles ``v0``.. start and end at the depot.
    """
    d = instance.distance()
    seconds = [[math.ceil(x * scale) for x in row] for row in d]
    metres = [[round(x * scale) for x in row] for row in d]
    stops = tuple(
        Stop(
            str(c),
            c,
            round(instance.service[c] * scale),
            (instance.demand[c],),
            TimeWindow(round(instance.ready[c] * scale), math.floor(instance.due[c] * scale)),
        )
        for c in range(1, len(d))
    )
    shift = TimeWindow(round(instance.ready[0] * scale), math.floor(instance.due[0] * scale))
    vehicles = tuple(Vehicle(f"v{k}", 0, 0, (instance.capacity,), shift) for k in range(instance.vehicles))
    objective = Objective(vehicle_cost=0, time_weight=0, distance_weight=1)
    return RoutingProblem(seconds, metres, stops, vehicles, objective, Limits(), ("demand",))
