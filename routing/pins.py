"""Pins that cannot hold: which committed stops to leave out so that the rest of the day can be planned.

Plain Python over `routing.schedule`. During the day a committed stop may no longer be possible where it
is pinned: its window has passed, its van's shift was cut short, a skill was withdrawn. Rather than
failing the whole re-plan, each vehicle keeps the longest run of its pinned stops, in their order, that
it can still serve alone (its skills, capacity, the stops' windows and its shift), and the other pinned
stops are left out, each with its pickup or the stop it picks up for. They come back unassigned as
``pin_infeasible``, so the dispatcher sees them named and may unpin them in the next re-plan.
"""

from __future__ import annotations

from dataclasses import replace

from routing.model import RoutingProblem, Stop, Vehicle
from routing.schedule import load_steps, schedule_route


def _servable(problem: RoutingProblem, vehicle: Vehicle, chain: list[Stop]) -> bool:
    if any(not stop.required_skills <= vehicle.skills for stop in chain):
        return False
    paired = frozenset(stop.pickup_of for stop in chain if stop.pickup_of is not None)
    for load in load_steps(chain, paired, len(problem.dimensions)):
        if any(d < len(vehicle.capacity) and amount > vehicle.capacity[d] for d, amount in enumerate(load)):
            return False
    return schedule_route(problem, vehicle, chain) is not None


def _partner(stop: Stop, by_id: dict[str, Stop], pickup_for: dict[str, Stop]) -> Stop | None:
    if stop.pickup_of is not None:
        return by_id.get(stop.pickup_of)
    return pickup_for.get(stop.id)


def broken_pins(problem: RoutingProblem) -> set[str]:
    """The ids of the pinned stops to leave out so that every vehicle can serve the rest of its pins.

    Per vehicle, in pinned order, a stop is kept when the chain kept so far plus it can be served; a
    stop left out takes its partner (pickup or delivery) with it.
    """
    by_id = {stop.id: stop for stop in problem.stops}
    pickup_for = {stop.pickup_of: stop for stop in problem.stops if stop.pickup_of is not None}
    fleet = {vehicle.id: vehicle for vehicle in problem.vehicles}
    chains: dict[str, list[Stop]] = {}
    for stop in sorted(
        (s for s in problem.stops if s.pinned_vehicle is not None), key=lambda s: s.pinned_position or 0
    ):
        chains.setdefault(stop.pinned_vehicle or "", []).append(stop)
    dropped: set[str] = set()
    for vehicle_id, chain in chains.items():
        vehicle = fleet.get(vehicle_id)
        if vehicle is None:
            dropped.update(stop.id for stop in chain)
            continue
        kept: list[Stop] = []
        for stop in chain:
            if stop.id in dropped:
                continue
            if _servable(problem, vehicle, [*kept, stop]):
                kept.append(stop)
                continue
            dropped.add(stop.id)
            partner = _partner(stop, by_id, pickup_for)
            if partner is not None:
                dropped.add(partner.id)
                kept = [s for s in kept if s.id != partner.id]
        if kept and not _servable(problem, vehicle, kept):
            dropped.update(stop.id for stop in kept)
    return dropped


def without(problem: RoutingProblem, stop_ids: set[str]) -> RoutingProblem:
    """``problem`` without the stops ``stop_ids`` (the pins left keep their order)."""
    stops = tuple(stop for stop in problem.stops if stop.id not in stop_ids)
    return replace(problem, stops=stops)


def unpinned(stop: Stop) -> Stop:
    """``stop`` as an unpinned stop (how a stop left out of its pin is kept with the plan)."""
    return replace(stop, pinned_vehicle=None, pinned_position=None)
