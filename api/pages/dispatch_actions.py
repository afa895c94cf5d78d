"""The dispatcher's changes on the board: a stop moved, with its dry run shown before it is made, and what
happened at a stop of the committed plan.

* ``GET /dispatch/plans/{id}/move?stop=&depot=&kind=&date=[&to=&position=]`` a move of a stop to a van
  or engineer at a position (1: its first stop still to do): without ``to``, the form that chooses them;
  with it, also the dry run (`routing.move_stop` with ``dry_run``, as ``POST
  /api/v1/routing/plans/{id}/moves`` and ``/api/v1/dispatch/plans/{id}/moves``) in words: feasible or
  why not, the moved stop's new times, every stop whose lateness changes and by how much. Dragging a
  stop on the timeline (``js/dispatch.js``) asks the same, for htmx (the panel alone); without htmx,
  the board with the panel.
* ``POST /dispatch/plans/{id}/moves`` makes the move: a new draft plan based on this one
  (`routing.manual`), shown on the board to commit.
* ``GET /dispatch/plans/{id}/stops/{stop}/event`` the form of a stop event of the committed plan, and
  ``POST /dispatch/plans/{id}/stops/{stop}/events`` records it (`routing.record_stop_event`, as the
  API's stop events): on the way, arrived, done, failed with a reason, cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from pydantic import BaseModel, Field

import routing
from api.idempotency import PageAnswer, idempotent_page
from api.pages.dispatch import (
    CODE,
    KINDS,
    PLANNERS,
    TEMPLATE,
    BoardAsked,
    Kind,
    Moment,
    QueryCode,
    QueryDay,
    board_context,
    board_url,
    read_board_form,
)
from api.params import PathId
from api.schemas.base import MAX_ID
from api.security import allow
from api.settings import Settings
from api.web.locale import presenter_of
from api.web.render import is_htmx, render_page
from inventory.accounts import Principal
from inventory.errors import Conflict, NotFound
from inventory.time_window import TimeBounds, check_reported_time
from presentation import N_, VOCABULARY, Presenter
from routing import NBD, MoveRequest, MoveResult, StopStatus, StopView, list_engineers, list_vehicles
from routing.board import StopDetails, stops_by_id
from routing.stop_status import ALLOWED, MAX_REASON

MAX_POSITION = 1000
"""The last position a move may ask for (as the API's)."""
MAX_MEMBERS = 500
EVENTS = ("en_route", "arrived", "done", "failed", "cancelled")

VOCABULARY.define(
    "move-refusal",
    {
        "skills": N_("The van or engineer does not have a skill the stop needs"),
        "capacity": N_("The part does not fit in the van with its other stops"),
        "window": N_("A time window or a hard deadline could not be kept"),
    },
)
VOCABULARY.define(
    "stop-event",
    {
        "en_route": N_("On the way to it"),
        "arrived": N_("Arrived"),
        "done": N_("Done"),
        "failed": N_("Failed (give the reason)"),
        "cancelled": N_("Cancelled"),
    },
)
VOCABULARY.define(
    "problem",
    {
        "move-needs-override": N_(
            "This move makes a stop later past its deadline or a route end past its shift: give a reason"
            " to apply it"
        ),
        "move-not-possible": N_(
            "This move cannot be made: a skill, the van's room, a time window or a hard deadline forbids it"
        ),
    },
)


class MoveNeedsOverride(Conflict):
    """A move applied without the reason its override needs (the board's words for it)."""

    code = "move-needs-override"


class MoveNotPossible(Conflict):
    """A move applied that cannot be made (the board's words for it)."""

    code = "move-not-possible"


# --- what the panels show ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LatenessChange:
    """A stop whose lateness a move changes, in words."""

    label: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class MovePanel:
    """A move of a stop: the form choosing where to, and once checked, its dry run in words."""

    plan_id: int
    stop_id: int
    label: str
    vehicle: str | None
    members: list[tuple[str, str]]
    """The vans or engineers it may go to: code and label."""
    to: str | None = None
    position: int = 1
    checked: bool = False
    feasible: bool = False
    needs_override: bool = False
    refusal: str | None = None
    needs: tuple[str, ...] = ()
    start_before: Moment | None = None
    start_after: Moment | None = None
    zone: str = ""
    lateness: tuple[LatenessChange, ...] = ()
    shifted: int = 0
    """Other stops whose times change without a change of lateness."""


@dataclass(frozen=True, slots=True)
class EventPanel:
    """The form of a stop event: the stop, how it stands, and the events that may follow."""

    plan_id: int
    stop_id: int
    label: str
    status: str
    events: tuple[str, ...]
    zone: str


def _label(say: Presenter, stop: StopView, details: StopDetails) -> str:
    """A stop in a few words: what and where, and its ticket."""
    site = details.site_name or stop.site or stop.place
    if stop.kind == "pickup":
        site = say.gettext(N_("Depot %(depot)s"), depot=stop.depot or stop.place)
    parts = [say.words("stop-kind", stop.kind), site]
    if stop.ticket is not None:
        parts.append(say.gettext(N_("ticket %(id)s"), id=stop.ticket))
    return " · ".join(parts)


def _lateness(say: Presenter, seconds: int) -> str:
    if seconds <= 0:
        return say.gettext(N_("on time"))
    return say.gettext(N_("late by %(duration)s"), duration=say.duration(timedelta(seconds=seconds)))


def _moment(say: Presenter, moment: datetime | None, zone: str) -> Moment | None:
    if moment is None:
        return None
    return Moment(moment, say.time(moment, zone))


def _needs(
    say: Presenter, needs: tuple[str, ...], stops: dict[str, str], overtime: dict[str, int]
) -> tuple[str, ...]:
    """What a move's override would break, in words (``deadline:<stop>``, ``shift_end:<vehicle>``)."""
    words = []
    for need in needs:
        what, _, subject = need.partition(":")
        if what == "deadline":
            words.append(
                say.gettext(N_("%(stop)s: later past its deadline"), stop=stops.get(subject, subject))
            )
        else:
            over = say.duration(timedelta(seconds=overtime.get(subject, 0)))
            words.append(
                say.gettext(
                    N_("%(vehicle)s: ends %(duration)s past its shift"), vehicle=subject, duration=over
                )
            )
    return tuple(words)


async def _members(kind: str, depot: str) -> list[tuple[str, str]]:
    """The board's vans or engineers (those of its depot) a stop may be moved to."""
    if kind == NBD:
        vans = await list_vehicles(depot=depot, limit=MAX_MEMBERS, offset=0)
        return [(van.code, van.code) for van in vans if van.active]
    engineers = await list_engineers(depot=depot, skill=None, limit=MAX_MEMBERS, offset=0)
    return [(each.code, f"{each.name} ({each.code})") for each in engineers if each.active]


async def move_panel(
    say: Presenter,
    plan_id: int,
    stop_id: int,
    *,
    kind: str,
    depot: str,
    to: str | None,
    position: int | None,
    result: MoveResult | None,
) -> MovePanel:
    """The move panel of ``stop_id``; with ``result`` (the dry run of its move to ``to``), in words."""
    ids = {stop_id} | {change.id for change in result.changes} if result else {stop_id}
    found = await stops_by_id(plan_id, ids)
    if stop_id not in found:
        raise NotFound(f"stop {stop_id} not found in plan {plan_id}", field="stop")
    stop, details = found[stop_id]
    plan = await routing.get_plan(plan_id, kind=kind)
    owner = next((route.vehicle for route in plan.routes if any(s.id == stop_id for s in route.stops)), None)
    members = await _members(kind, depot)
    base = MovePanel(
        plan_id,
        stop_id,
        _label(say, stop, details),
        owner,
        members,
        to=to or owner or (members[0][0] if members else None),
        position=position or 1,
        zone=say.zone_name(details.zone),
    )
    if result is None:
        return base
    labels = {view.key: _label(say, view, place) for view, place in found.values()}
    moved = next((change for change in result.changes if change.id == stop_id), None)
    lateness = tuple(
        LatenessChange(
            labels.get(change.key, change.key),
            _lateness(say, change.late_before_s),
            _lateness(say, change.late_after_s),
        )
        for change in result.changes
        if change.late_before_s != change.late_after_s
    )
    shifted = sum(
        1
        for change in result.changes
        if change.id != stop_id
        and change.late_before_s == change.late_after_s
        and change.start_before != change.start_after
    )
    return replace(
        base,
        checked=True,
        feasible=result.feasible,
        needs_override=bool(result.needs_override) and result.reason is None,
        refusal=None if result.reason is None else say.words("move-refusal", result.reason),
        needs=_needs(say, result.needs_override, labels, result.overtime_s),
        start_before=_moment(say, stop.start_at if moved is None else moved.start_before, details.zone),
        start_after=None if moved is None else _moment(say, moved.start_after, details.zone),
        lateness=lateness,
        shifted=shifted,
    )


async def event_panel(say: Presenter, plan_id: int, stop_id: int) -> EventPanel:
    """The stop event form of ``stop_id``: the events its status allows."""
    found = await stops_by_id(plan_id, {stop_id})
    if stop_id not in found:
        raise NotFound(f"stop {stop_id} not found in plan {plan_id}", field="stop")
    stop, details = found[stop_id]
    allowed = ALLOWED[StopStatus(stop.status)]
    return EventPanel(
        plan_id,
        stop_id,
        _label(say, stop, details),
        stop.status,
        tuple(event for event in EVENTS if StopStatus(event) in allowed),
        say.zone_name(details.zone),
    )


# --- the handlers ----------------------------------------------------------------------------------------


async def _answer(
    request: Request[Any, Any, Any],
    settings: Settings,
    now: datetime,
    *,
    plan_id: int,
    day: date | None,
    depot: str,
    kind: Kind,
    panel: dict[str, Any],
) -> Any:
    """A panel: alone for htmx (into the board's ``#stop-action``), else on the board of its plan (with
    its table of every stop)."""
    query = {"date": None if day is None else day.isoformat(), "depot": depot, "kind": kind, "plan": plan_id}
    back = "/dispatch?" + urlencode({name: value for name, value in query.items() if value is not None})
    panel = {**panel, "back": back}
    if is_htmx(request):
        context = {"depot_code": depot, "kind": kind, "day": day, "move": None, "stop_event": None, **panel}
        return render_page(request, TEMPLATE, context, block="action")
    asked = BoardAsked(kind, day, depot, plan_id, None, None, None, 0)
    context = await board_context(presenter_of(request), settings, now, asked, table=True)
    return render_page(request, TEMPLATE, context | panel)


QueryPosition = Annotated[int | None, QueryParameter(ge=1, le=MAX_POSITION)]


@get("/dispatch/plans/{plan_id:int}/move", name="board-move", guards=[allow(*PLANNERS)])
async def check_move(
    request: Request[Any, Any, Any],
    plan_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
    planning_policy: NamedDependency[routing.PlanningPolicy],
    stop: Annotated[int, QueryParameter(ge=1, le=MAX_ID)],
    depot: Annotated[str, QueryParameter(max_length=32, pattern=CODE)],
    kind: Annotated[Kind, QueryParameter()] = "deliveries",
    day: QueryDay = None,
    to: QueryCode = None,
    position: QueryPosition = None,
) -> Any:
    """A move of a stop: the form choosing where to, and with ``to`` its dry run in words. Changes
    nothing."""
    say = presenter_of(request)
    result = None
    if to is not None:
        request_ = MoveRequest(stop, None, to, None if position is None else position - 1, True, "")
        result = await routing.move_stop(
            plan_id,
            request_,
            kind=KINDS[kind],
            matrix=planning_policy.matrix,
            actor=principal.username,
            now=now,
        )
    panel = await move_panel(
        say, plan_id, stop, kind=KINDS[kind], depot=depot, to=to, position=position, result=result
    )
    return await _answer(
        request, settings, now, plan_id=plan_id, day=day, depot=depot, kind=kind, panel={"move": panel}
    )


class MoveForm(BaseModel):
    """The move panel's "Apply": the stop, where to, and the board to go back to."""

    stop: int = Field(ge=1, le=MAX_ID)
    to: str = Field(max_length=32, pattern=CODE)
    position: int = Field(ge=1, le=MAX_POSITION)
    override_reason: str = Field(default="", max_length=500)
    day: date = Field(alias="date")
    depot: str = Field(max_length=32, pattern=CODE)
    kind: Kind


@post("/dispatch/plans/{plan_id:int}/moves", name="board-move-apply", guards=[allow(*PLANNERS)])
@idempotent_page
async def apply_move(
    request: Request[Any, Any, Any],
    plan_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    planning_policy: NamedDependency[routing.PlanningPolicy],
) -> PageAnswer:
    """Make a move (as the moves API without ``dry_run``): a new draft plan with the two routes changed,
    shown on the board to commit. A move that cannot be made, or needs an override without its reason,
    is refused in words (409)."""
    data: MoveForm = await read_board_form(request, MoveForm)
    move = MoveRequest(data.stop, None, data.to, data.position - 1, False, data.override_reason)
    try:
        result = await routing.move_stop(
            plan_id,
            move,
            kind=KINDS[data.kind],
            matrix=planning_policy.matrix,
            actor=principal.username,
            now=now,
        )
    except Conflict as exc:
        refused = MoveNotPossible if exc.details.get("reason") else MoveNeedsOverride
        raise refused(exc.message, **exc.details) from exc
    return PageAnswer(location=board_url(data.day, data.depot, data.kind, plan=result.plan_id))


@get(
    "/dispatch/plans/{plan_id:int}/stops/{stop_id:int}/event",
    name="board-stop-event",
    guards=[allow(*PLANNERS)],
)
async def stop_event_form(
    request: Request[Any, Any, Any],
    plan_id: PathId,
    stop_id: PathId,
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
    depot: Annotated[str, QueryParameter(max_length=32, pattern=CODE)],
    kind: Annotated[Kind, QueryParameter()] = "deliveries",
    day: QueryDay = None,
) -> Any:
    """The form of a stop event of the committed plan: what happened, when, and why it failed."""
    panel = await event_panel(presenter_of(request), plan_id, stop_id)
    return await _answer(
        request, settings, now, plan_id=plan_id, day=day, depot=depot, kind=kind, panel={"stop_event": panel}
    )


class StopEventForm(BaseModel):
    """A stop event from the board: what happened, at what local time of the place (now if empty), and
    why a failed stop failed."""

    type: Literal["en_route", "arrived", "done", "failed", "cancelled"]
    at: time | None = None
    reason: str = Field(default="", max_length=MAX_REASON)
    day: date = Field(alias="date")
    depot: str = Field(max_length=32, pattern=CODE)
    kind: Kind


@post(
    "/dispatch/plans/{plan_id:int}/stops/{stop_id:int}/events",
    name="board-stop-event-record",
    guards=[allow(*PLANNERS)],
)
@idempotent_page
async def record_stop_event(
    request: Request[Any, Any, Any],
    plan_id: PathId,
    stop_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    time_bounds: NamedDependency[TimeBounds],
) -> PageAnswer:
    """Record what happened at a stop of the committed plan, as the API's stop events do (a delivery done
    issues its parts; a visit done records the engineer on site). A transition its status does not allow
    is refused in words (409)."""
    data: StopEventForm = await read_board_form(request, StopEventForm)
    at = now
    if data.at is not None:
        found = await stops_by_id(plan_id, {stop_id})
        zone = ZoneInfo(found[stop_id][1].zone if stop_id in found else "UTC")
        at = datetime.combine(now.astimezone(zone).date(), data.at, zone)
        check_reported_time("at", at, now=now, bounds=time_bounds)
    await routing.record_stop_event(
        plan_id,
        stop_id,
        kind=KINDS[data.kind],
        status=StopStatus(data.type),
        at=at,
        reason=data.reason,
        actor=principal.username,
        now=now,
    )
    return PageAnswer(location=board_url(data.day, data.depot, data.kind, plan=plan_id))


ROUTES = [check_move, apply_move, stop_event_form, record_stop_event]

__all__ = ["ROUTES"]
