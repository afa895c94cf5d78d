"""Re-planning from the present: what the day's stop events and positions mean for the next plan.

A re-plan during the day starts each van or engineer where it is, at the time of the re-plan: at its
latest known place (its last reported position, the last stop it finished or failed, or the stop it is
at, whichever it reported last), else at its depot. Stops done or cancelled are history: neither
pinned nor planned again. A failed stop's ticket returns to be planned: the stop is planned again
freely (its pin let go, named `STOP_FAILED`), and once a committed plan carries it again it is pinned
there like any other. Stops en route or arrived stay first on their vehicle, in their order; a stop
being served keeps only what is left of its service, and its window no longer binds (it is happening).
Committed stops not yet started stay pinned in their committed order, unless the dispatcher unpins them
or their vehicle is no longer available (then they are re-planned freely, and named in the plan's
stats as ``pins_released``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from inventory.errors import InvalidRequest, InvalidTransition
from routing.assembly import DeliveryOrder, Engineer, Inspection, Job, Pin, Place, UrgentDelivery, Van
from routing.availability import absences_of, free_shift
from routing.execution import latest_positions
from routing.plan_store import PlanView
from routing.stop_log import StopState, day_states
from routing.stop_status import StopStatus

Member = TypeVar("Member", Van, Engineer)

UNPINNED = "unpinned"
"""Why a pin was let go: the dispatcher asked for it."""
VEHICLE_UNAVAILABLE = "vehicle_unavailable"
"""Why a pin was let go: its van or engineer is inactive, off shift or absent for the rest of the day."""
ABSENT = "absent"
"""Why a pin was let go: its van or engineer is absent for part of what is left of the day."""
PICKUP_FAILED = "pickup_failed"
"""Why a stop is left out of the re-plan: its pickup was cancelled (the part is not on board)."""
STOP_FAILED = "stop_failed"
"""Why a pin was let go: the stop (or its pickup) failed, and it is planned again."""


@dataclass(frozen=True, slots=True)
class LiveDay:
    """The day so far, as a re-plan needs it."""

    states: Mapping[str, StopState]
    unpinned: frozenset[str] = frozenset()
    released: dict[str, str] = field(default_factory=dict)
    replanned: frozenset[str] = frozenset()
    """Failed stops that a committed plan carries again (not failed there): to do, like any other."""

    def keeps(self, key: str) -> bool:
        """Whether the stop ``key`` is still to do where the committed plans have it (it is not history)."""
        state = self.states.get(key)
        return state is None or not state.final or key in self.replanned

    def returning(self, key: str) -> bool:
        """Whether the stop ``key`` failed and no committed plan carries it again: it is to be planned
        again, not pinned."""
        state = self.states.get(key)
        return state is not None and state.status is StopStatus.FAILED and key not in self.replanned

    def plans(self, key: str) -> bool:
        """Whether a re-plan plans the stop ``key``: still to do, or failed and returning."""
        return self.keeps(key) or self.returning(key)

    def finished(self, key: str) -> bool:
        state = self.states.get(key)
        return state is not None and state.status is StopStatus.DONE

    def pickup_failed(self, key: str) -> bool:
        """Whether the pickup for stop ``key`` failed or was cancelled; such a stop is left out of the
        re-plan and named in ``released`` (as `PICKUP_FAILED`)."""
        pickup = f"{key}:pickup"
        if self.plans(pickup) or self.finished(pickup):
            return False
        self.released[key] = PICKUP_FAILED
        return True

    def worked(self, vehicle: str, now: datetime) -> timedelta:
        """How long ``vehicle`` has been at work today by ``now``: since its earliest stop event (an
        engineer reports ``en_route`` as they set out); nothing before its first event."""
        began = [
            moment
            for state in self.states.values()
            if state.vehicle == vehicle
            for moment in (state.at, state.arrived_at)
            if moment is not None and moment <= now
        ]
        return max(now - min(began), timedelta(0)) if began else timedelta(0)

    def arrived(self, key: str) -> datetime | None:
        """When the vehicle arrived at stop ``key``, if it is there now."""
        state = self.states.get(key)
        return state.arrived_at if state is not None and state.status is StopStatus.ARRIVED else None

    def pins(
        self, plans: Sequence[PlanView], keys: set[str], vehicles: Mapping[str, str | None]
    ) -> dict[str, Pin]:
        """Pins of the committed stops still to do: those in progress first on their vehicle, then the
        others in their committed order. ``vehicles`` maps each available vehicle to ``None``, or to the
        reason its not-yet-started pins are let go (e.g. `ABSENT`); the pins of a vehicle not in it are
        let go as `VEHICLE_UNAVAILABLE`. Every pin let go is recorded in ``released``.

        A stop and its pickup are pinned alike: a pinned visit whose part needs a pickup gets that pickup
        right before it, and a pickup whose visit is let go is let go too.
        """
        started: dict[str, list[str]] = defaultdict(list)
        waiting: dict[str, list[str]] = defaultdict(list)
        for plan in plans:
            for route in plan.routes:
                for stop in route.stops:
                    if stop.key in keys:
                        self._sort(stop.key, route.vehicle, vehicles, started, waiting)
        pins: dict[str, Pin] = {}
        for vehicle in sorted(started.keys() | waiting.keys()):
            order = self._paired([*started.get(vehicle, []), *waiting.get(vehicle, [])], keys)
            for position, key in enumerate(order):
                pins[key] = Pin(vehicle, position, started=self._started(key))
        return pins

    def _sort(
        self,
        key: str,
        vehicle: str,
        vehicles: Mapping[str, str | None],
        started: dict[str, list[str]],
        waiting: dict[str, list[str]],
    ) -> None:
        """Put committed stop ``key`` of ``vehicle`` among the started or the waiting stops of its vehicle,
        or record why its pin is let go (history is neither)."""
        if self.returning(key) or self.returning(f"{key}:pickup"):
            self.released[key] = STOP_FAILED
            return
        if not self.keeps(key):
            return
        state = None if key in self.replanned else self.states.get(key)
        reason = vehicles.get(vehicle, VEHICLE_UNAVAILABLE)
        if state is not None and state.in_progress and state.vehicle in vehicles:
            started[state.vehicle].append(key)
        elif key in self.unpinned:
            self.released[key] = UNPINNED
        elif reason is not None:
            self.released[key] = reason
        else:
            waiting[vehicle].append(key)

    def _started(self, key: str) -> bool:
        state = self.states.get(key)
        return state is not None and state.in_progress

    def _paired(self, order: list[str], keys: set[str]) -> list[str]:
        """``order`` with each visit's pickup (still to do) right before it, and without the pickups
        whose visit was let go."""
        paired: list[str] = []
        for key in order:
            if key.endswith(":pickup"):
                visit = key.removesuffix(":pickup")
                if visit in self.released:
                    self.released[key] = self.released[visit]
                    continue
            elif f"{key}:pickup" in keys and self.keeps(f"{key}:pickup"):
                self.released.pop(f"{key}:pickup", None)
                paired.append(f"{key}:pickup")
            paired.append(key)
        return list(dict.fromkeys(paired))

    def job(self, job: Job, now: datetime) -> Job:
        """A visit as the re-plan sees it: without its pickup once the part is collected, and, while the
        engineer is at the site, with what is left of its service and no deadline to keep."""
        if job.pickup_depot is not None and self.finished(f"{job.id}:pickup"):
            job = replace(job, pickup_depot=None)
        arrived = self.arrived(job.id)
        if arrived is None:
            return job
        return replace(
            job,
            earliest=min(job.earliest, arrived),
            deadline=max(job.deadline, now),
            hard=False,
            service=_left(job.service, arrived, now),
        )

    def order(self, order: DeliveryOrder, now: datetime) -> DeliveryOrder:
        """A delivery as the re-plan sees it: while the van is at the site, what is left of its service,
        its window open until it is over."""
        arrived = self.arrived(order.id)
        if arrived is None:
            return order
        service = _left(order.service, arrived, now)
        return replace(
            order,
            due_from=min(order.due_from, arrived),
            due_by=max(order.due_by, now + service),
            service=service,
        )

    def inspection(self, inspection: Inspection, now: datetime) -> Inspection:
        arrived = self.arrived(inspection.id)
        if arrived is None:
            return inspection
        service = _left(inspection.service, arrived, now)
        return replace(
            inspection,
            window_start=min(inspection.window_start, arrived),
            window_end=max(inspection.window_end, now + service),
            service=service,
        )

    def loaded(self, item: UrgentDelivery, due: tuple[datetime, datetime], pin: Pin | None) -> DeliveryOrder:
        """An urgent delivery whose part the van has already collected: a delivery from the van's load,
        ``due`` its window."""
        return DeliveryOrder(
            item.id,
            item.van_depot,
            item.site,
            *due,
            item.service,
            item.weight_g / 1000,
            item.volume_ml / 1000,
            pin,
        )


def _left(service: timedelta, arrived: datetime, now: datetime) -> timedelta:
    return max(timedelta(0), service - max(timedelta(0), now - arrived))


async def live_day(kind: str, day: date, plans: Sequence[PlanView], unpin: Iterable[int]) -> LiveDay:
    """The day's stop states and the committed stops the dispatcher asked to unpin (by stop id).

    Unpinning a stop unpins its pickup, or the stop it picks up for, too.

    Raises:
        InvalidRequest: an id that is not a routed stop of the day's committed plans.
        InvalidTransition: a stop that is in progress or already history.
    """
    states = await day_states(kind, day)
    routed = {stop.id: stop for plan in plans for route in plan.routes for stop in route.stops}
    replanned = replanned_of(states, plans)
    asked: set[str] = set()
    for stop_id in unpin:
        stop = routed.get(stop_id)
        if stop is None:
            raise InvalidRequest(f"stop {stop_id} is not a stop of the day's committed plan", field="unpin")
        if stop.key in states and stop.key not in replanned:
            raise InvalidTransition(
                f"stop {stop_id} is {states[stop.key].status}: it cannot be unpinned", field="unpin"
            )
        asked.add(stop.pickup_of or stop.key)
    keys = asked | {f"{key}:pickup" for key in asked}
    for key in sorted(keys):
        if key in states and states[key].in_progress:
            raise InvalidTransition(
                f"stop {key} is {states[key].status}: it cannot be unpinned", field="unpin"
            )
    return LiveDay(states, frozenset(keys), replanned=replanned)


async def starting_places(
    kind: str, live: LiveDay, codes: Sequence[str], *, day_start: datetime, now: datetime
) -> dict[str, Place]:
    """Where each of the vans or engineers ``codes`` is now, if it said so today: the latest of its
    reported positions and the stops it arrived at, finished or failed."""
    latest: dict[str, tuple[datetime, Place]] = {}
    for code, position in (await latest_positions(kind, codes, until=now)).items():
        if position.at >= day_start:
            latest[code] = (position.at, Place(f"{code}@{position.at.isoformat()}", position.point))
    for state in live.states.values():
        if state.status in {StopStatus.DONE, StopStatus.FAILED, StopStatus.ARRIVED}:
            at = state.arrived_at if state.status is StopStatus.ARRIVED and state.arrived_at else state.at
            known = latest.get(state.vehicle)
            if state.vehicle in codes and at <= now and (known is None or known[0] <= at):
                latest[state.vehicle] = (at, state.place)
    return {code: place for code, (_at, place) in latest.items()}


def replanned_of(states: Mapping[str, StopState], plans: Sequence[PlanView]) -> frozenset[str]:
    """The failed stops that a committed plan of ``plans`` carries again (`LiveDay.replanned`)."""
    return frozenset(
        stop.key
        for plan in plans
        for route in plan.routes
        for stop in route.stops
        if stop.key in states
        and states[stop.key].status is StopStatus.FAILED
        and stop.status != StopStatus.FAILED
    )


async def present_fleet(
    kind: str,
    members: Sequence[Member],
    live: LiveDay,
    *,
    day: date,
    now: datetime,
) -> tuple[list[Member], dict[str, str | None]]:
    """The vans or engineers of a re-plan: each starting where it is now (`starting_places`), in the
    longest stretch of its shift left that no absence covers (one absent all of it is left out); an
    engineer with the working time left of the day's limit once the time already worked is counted
    (`LiveDay.worked`; what is in progress still finishes, `routing.work.reachable_shifts`). Also,
    for `LiveDay.pins`, each one planned mapped to ``None``, or to `ABSENT` when an absence cut its shift.
    """
    if not members:
        return [], {}
    codes = [member.code for member in members]
    starts = await starting_places(
        kind, live, codes, day_start=min(_midnight(day, m.shift_end) for m in members), now=now
    )
    away = await absences_of(
        kind,
        codes,
        since=min(m.shift_start for m in members),
        until=max(m.shift_end for m in members),
    )
    present: list[Member] = []
    reasons: dict[str, str | None] = {}
    for member in members:
        absences = away.get(member.code, [])
        shift = free_shift(member.shift_start, member.shift_end, absences)
        if shift is None:
            continue
        changes: dict[str, object] = {
            "shift_start": shift[0],
            "shift_end": shift[1],
            "start": starts.get(member.code),
        }
        if isinstance(member, Engineer):
            changes["max_working"] = max(member.max_working - live.worked(member.code, now), timedelta(0))
        present.append(replace(member, **changes))
        reasons[member.code] = ABSENT if absences else None
    return present, reasons


def _midnight(day: date, moment: datetime) -> datetime:
    return datetime.combine(day, time(0), moment.tzinfo)
