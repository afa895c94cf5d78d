"""The dispatcher's ticket screens: the SLA queue and a ticket's file, with live countdowns.

* ``GET /tickets``: open tickets, the next deadline first (`inventory.tickets.ticket_views.sla_queue`,
  ordered and filtered in SQL on its indexes), filters by tier, severity, depot, customer and site, one
  page at a time; each row counts down to its next milestone. htmx asks for the ``queue`` block again every
  30 seconds at the page's own address, so the filters stay.
* ``GET /tickets/{id}``: the milestone chain (due, met at, late by, paused periods, live countdowns), the
  entitlement, the asset's warranty, the reservations (depot, serials, status, ETA in the site's time,
  the urgent 4-hour check on the dispatch board), the events as a timeline, and the forms.
* ``POST /tickets/{id}/events`` records an event (`inventory.tickets.record_event`, as the API) and
  ``POST /tickets/{id}/reservations`` reserves a part (`inventory.tickets.reserve`, as the API); a
  form's errors and the services' refusals come back in words beside the form (422 or 409; for htmx,
  the form's block, retargeted to it).

Who: the dispatcher and the administrator work here. Warehouse staff and compliance officers read tickets
through the API too, so they see these pages without the forms. Customers have their portal: 403.

Countdowns: the server reads every clock with the SLA engine (`inventory.tickets.countdown`), says it in
words, and gives ``js/countdown.js`` the time left at the moment it rendered, the business intervals ahead
of each business-hours calendar, and the words; the script only subtracts the time that passes inside
the intervals, and announces a clock crossing into "breaching within 60 min" or "breached".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from markupsafe import Markup, escape
from pydantic import BaseModel, Field

import routing
from api.errors import problem_document
from api.idempotency import PageAnswer, idempotent_page
from api.pagination import PageRequest, page_of
from api.params import PathId
from api.schemas.base import Code, PartNumber, Serial
from api.security import allow
from api.settings import Settings
from api.web.errors import problem_code
from api.web.forms import read_form
from api.web.locale import presenter_of
from api.web.render import is_htmx, render_page
from inventory import tickets
from inventory.accounts import STAFF, Principal, Role
from inventory.calendars import calendar_for
from inventory.customers import list_customers, list_sites
from inventory.errors import Conflict, DomainError, InvalidRequest, NotFound
from inventory.stock import DepotRecord, depots_by_code, list_depots
from inventory.tickets import (
    DEFAULT_TARGETS,
    PARTS_PRIORITY_TIERS,
    Countdown,
    CountdownState,
    Pause,
    QueueFilters,
    QueueTicket,
    ReservationRecord,
    ReservationRequest,
    Severity,
    SupportHours,
    TicketEvent,
    TicketFile,
    Tier,
    countdowns,
    may_preempt,
    met_late,
    next_clock,
    pause_history,
    possible_events,
    read_clock,
    sla_queue,
    ticket_file,
    working_intervals,
)
from inventory.time_window import TimeBounds, check_reported_time
from presentation import N_, VOCABULARY, Presenter

READERS = STAFF
"""Staff read tickets, as through the API; customers have the portal."""
SERVICE_DESK = (Role.ADMIN, Role.DISPATCHER)
"""Who records events and reserves parts here (the API's service desk; customers reserve in the portal)."""
QUEUE_TEMPLATE = "pages/tickets/queue.html"
TICKET_TEMPLATE = "pages/tickets/ticket.html"
REFRESH_S = 30
"""How often the queue asks for its rows again, in seconds."""
INTERVALS_AHEAD = timedelta(days=14)
"""How far ahead the business intervals given to the countdown script reach."""
MAX_CHOICES = 1_000
"""Depots and customers offered in the filters' lists (a few hundred at national scale)."""
CODE_OR_EMPTY = r"^([A-Za-z0-9][A-Za-z0-9._-]*)?$"

LEFT = N_("%(duration)s left")
OVERDUE = N_("Overdue by %(duration)s")
MET_LATE = N_("Met %(duration)s late")
PAUSED_UNTIL = N_("Paused until %(time)s")
LEFT_WHEN_PAUSED = N_("%(duration)s left when paused")
SPARE = N_("Met with %(duration)s to spare")
CLOCK_LABEL = N_("Ticket %(ticket)s, %(milestone)s")
ANNOUNCEMENT = N_("%(label)s: %(state)s")
UNITS = ("%(n)s d", "%(n)s h", "%(n)s min")
LESS_THAN_A_MINUTE = "less than 1 min"
ZONED = "%(time)s (%(zone)s)"
"""Words of `presentation.Presenter` that the script needs too (the common catalogue translates them)."""

VOCABULARY.define(
    "tickets-milestone",
    {
        "response": N_("Response"),
        "on_site": N_("Engineer on site"),
        "restore": N_("Service restored"),
        "replacement": N_("Part replaced"),
    },
)
VOCABULARY.define(
    "tickets-countdown",
    {
        "on_track": N_("On track"),
        "soon": N_("Breaching within 60 min"),
        "breached": N_("Breached"),
        "waiting": N_("Waiting for the customer"),
        "met": N_("Met on time"),
        "met_late": N_("Met late"),
    },
)
VOCABULARY.define(
    "tickets-event",
    {
        "opened": N_("Opened"),
        "responded": N_("Responded"),
        "engineer_on_site": N_("Engineer on site"),
        "restored": N_("Service restored"),
        "closed": N_("Closed"),
        "waiting_customer": N_("Waiting for the customer"),
        "resumed": N_("Resumed"),
    },
)
VOCABULARY.define("tickets-status", {"open": N_("Open"), "closed": N_("Closed")})
VOCABULARY.define(
    "tickets-tier", {"standard": N_("Standard"), "premium": N_("Premium"), "platinum": N_("Platinum")}
)
VOCABULARY.define("tickets-support-hours", {"business": N_("Business hours"), "7x24": N_("7×24")})  # noqa: RUF001
VOCABULARY.define(
    "tickets-severity", {"critical": N_("Critical"), "major": N_("Major"), "minor": N_("Minor")}
)
VOCABULARY.define("tickets-delivery", {"4h": N_("Within 4 hours"), "nbd": N_("Next business day")})
VOCABULARY.define(
    "tickets-reservation",
    {
        "active": N_("Held"),
        "issued": N_("Issued"),
        "released": N_("Released"),
        "expired": N_("Expired"),
        "preempted": N_("Taken by a more urgent ticket"),
    },
)
VOCABULARY.define(
    "tickets-coverage",
    {
        "in_warranty": N_("In warranty"),
        "post_warranty_parts_only": N_("After warranty: free repair labour, parts at cost"),
        "post_warranty_costs_only": N_("After warranty: travel, lodging and parts at cost"),
        "expired": N_("No coverage left"),
    },
)
VOCABULARY.define(
    "problem", {"no-feasible-source": N_("No depot can deliver this part within the promised time")}
)

STATE_TONES = {
    CountdownState.ON_TRACK: "info",
    CountdownState.SOON: "warn",
    CountdownState.BREACHED: "bad",
    CountdownState.WAITING: "neutral",
    CountdownState.MET: "ok",
    CountdownState.MET_LATE: "warn",
}
SEVERITY_TONES = {"critical": "bad", "major": "warn", "minor": "neutral"}
RESERVATION_TONES = {"active": "info", "issued": "ok", "released": "neutral", "expired": "neutral",
                     "preempted": "warn"}  # fmt: skip


# --- countdowns ---------------------------------------------------------------------------------------


def epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class ClockView:
    """One countdown as the page shows it: the server's words, and for a clock still counting what the
    script needs to keep it live (``key``, ``label`` for announcements, ``calendar``: the key of the
    business intervals it counts in, empty for 7x24)."""

    key: str
    label: str
    item: Countdown
    calendar: str
    text: str
    paused: str
    state_text: str
    """The state in words."""

    @property
    def state(self) -> str:
        return self.item.state.value

    @property
    def tone(self) -> str:
        return STATE_TONES[self.item.state]

    @property
    def live(self) -> bool:
        return self.item.counting

    @property
    def left_ms(self) -> int:
        return round(self.item.left.total_seconds() * 1000)

    @property
    def due_ms(self) -> int:
        return epoch_ms(self.item.due_at)

    def html(self, due_at: datetime | None = None) -> Markup:
        """The countdown as HTML (the ``countdown`` macro of ``pages/tickets/_macros.html``): its state in
        words with its icon, the time left (late by, or spare; a ``<time>`` of ``due_at`` when given) and,
        outside business hours, until when it is paused. A clock still counting carries what
        ``js/countdown.js`` needs: its time left at the server's moment (``data-left-ms``, signed), its
        due time (``data-due-ms``: past it, the clock is breached even while business time stands still)
        and its calendar's key. An f-string of escaped parts: a queue page writes fifty."""
        state, live = escape(self.state), self.live
        script = (
            f' data-countdown data-key="{escape(self.key)}" data-label="{escape(self.label)}"'
            f' data-left-ms="{self.left_ms:d}" data-due-ms="{self.due_ms:d}"'
            f' data-calendar="{escape(self.calendar)}"'
            if live
            else ""
        )
        text = escape(self.text)
        left = (
            f'<time class="countdown__left" datetime="{escape(due_at.isoformat())}" data-countdown-left>'
            f"{text}</time>"
            if due_at
            else f'<span class="countdown__left" data-countdown-left>{text}</span>'
        )
        paused = (
            f'\n  <small class="countdown__paused" data-countdown-paused>{escape(self.paused)}</small>'
            if live
            else ""
        )
        return Markup(  # noqa: S704 (every text escaped)
            f'<span class="countdown" data-state="{state}"{script}>\n'
            f'  <span class="badge badge--{escape(self.tone)}" data-countdown-badge>'
            f'<svg class="icon" aria-hidden="true" focusable="false" width="16" height="16">'
            f'<use href="#icon-{state}" data-countdown-icon></use></svg>'
            f" <span data-countdown-state>{escape(self.state_text)}</span></span>\n"
            f"  {left}{paused}\n</span>"
        )


class ClockBoard:
    """The countdowns of one page and what ``js/countdown.js`` needs to keep them live: the server's time,
    the business intervals ahead of each calendar they count in (with the words of each opening) and the
    words of the countdowns in the reader's language."""

    def __init__(self, say: Presenter, now: datetime) -> None:
        self.say = say
        self.now = now
        self._calendars: dict[str, list[tuple[int, int, str]]] = {}

    def view(self, ticket_id: int, item: Countdown, region: str, zone: str) -> ClockView:
        """``item`` of ticket ``ticket_id`` (at a site of calendar ``region`` in ``zone``) in words."""
        say = self.say
        key = f"{region}|{zone}" if item.business else ""
        if item.counting and key and key not in self._calendars:
            calendar = calendar_for(region, zone)
            self._calendars[key] = [
                (epoch_ms(start), epoch_ms(end), self.opening(start, zone))
                for start, end in working_intervals(calendar, self.now, self.now + INTERVALS_AHEAD)
            ]
        duration = say.duration(abs(item.left))
        if item.state is CountdownState.WAITING:
            text = say.gettext(LEFT_WHEN_PAUSED, duration=duration)
        elif item.state is CountdownState.MET:
            text = say.gettext(SPARE, duration=duration)
        elif item.state is CountdownState.MET_LATE:
            text = say.gettext(MET_LATE, duration=duration)
        elif item.left < timedelta(0) or item.state is CountdownState.BREACHED:
            text = say.gettext(OVERDUE, duration=duration)
        else:
            text = say.gettext(LEFT, duration=duration)
        paused = ""
        if item.counting and item.resumes_at is not None:
            paused = say.gettext(PAUSED_UNTIL, time=self.opening(item.resumes_at, zone))
        label = say.gettext(
            CLOCK_LABEL, ticket=ticket_id, milestone=say.words("tickets-milestone", item.milestone)
        )
        state_text = say.words("tickets-countdown", item.state.value)
        return ClockView(f"{ticket_id}-{item.milestone.value}", label, item, key, text, paused, state_text)

    def opening(self, moment: datetime, zone: str) -> str:
        """When a paused business clock starts again, as people say it: ``Mon 09:00 (Beijing time)``
        within the week, the date beyond."""
        local = moment.astimezone(ZoneInfo(zone))
        if moment - self.now < timedelta(days=6):
            text = format_datetime(local, "EEE HH:mm", locale=self.say.babel_locale)
        else:
            text = self.say.datetime(moment, zone, with_zone=False)
        return self.say.gettext(ZONED, time=text, zone=self.say.zone_name(zone))

    @property
    def now_ms(self) -> int:
        return epoch_ms(self.now)

    @property
    def calendars_json(self) -> str:
        return json.dumps(self._calendars, ensure_ascii=False, separators=(",", ":"))

    @property
    def words_json(self) -> str:
        say = self.say
        words = {
            "units": [say.gettext(unit) for unit in UNITS],
            "lessThanMinute": say.gettext(LESS_THAN_A_MINUTE),
            "left": say.gettext(LEFT),
            "late": say.gettext(OVERDUE),
            "paused": say.gettext(PAUSED_UNTIL),
            "announce": say.gettext(ANNOUNCEMENT),
            "states": {
                state.value: say.words("tickets-countdown", state.value)
                for state in (CountdownState.ON_TRACK, CountdownState.SOON, CountdownState.BREACHED)
            },
            "tones": {state.value: tone for state, tone in STATE_TONES.items()},
        }
        return json.dumps(words, ensure_ascii=False, separators=(",", ":"))


# --- the SLA queue ------------------------------------------------------------------------------------


EVERY_MILESTONE_MET = N_("Every milestone met")
AT_RISK = N_("At risk: %(late)s late")
DUE = N_("due")
MET_LATE_LIST = N_("Met late:")
NONE_RESERVED = N_("None reserved")
TICKET = N_("Ticket %(id)s")
SUMMARY_LENGTH = 60
"""A summary longer than this (and a little leeway) is cut at a word, as Jinja's ``truncate`` does."""


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A ticket of the queue with its next milestone's countdown (None when every clock is met), and the
    row as HTML (with the milestones it already met late)."""

    ticket: QueueTicket
    clock: ClockView | None
    html: Markup


def queue_row(board: ClockBoard, ticket: QueueTicket, now: datetime) -> QueueRow:
    """A ticket of the queue: its next milestone read at ``now`` (that clock alone: business-time
    arithmetic is the cost of a row) and the milestones it met late."""
    upcoming = next_clock(ticket.clocks)
    clock = None
    if upcoming is not None:
        calendar = calendar_for(ticket.calendar_region, ticket.timezone)
        item = read_clock(upcoming, SupportHours(ticket.support_hours), calendar, now)
        clock = board.view(ticket.id, item, ticket.calendar_region, ticket.timezone)
    late = [milestone.value for milestone in met_late(ticket.clocks)]
    return QueueRow(ticket, clock, _row_html(board.say, ticket, clock, late))


def _row_html(say: Presenter, t: QueueTicket, clock: ClockView | None, late: list[str]) -> Markup:
    """A row of the queue's table as HTML: an f-string of escaped parts, since a page writes fifty rows
    and a template spends several times longer on their dozen calls each."""
    if clock is None:
        countdown, milestone = escape(say.gettext(EVERY_MILESTONE_MET)), ""
    else:
        due = clock.item.due_at
        countdown = clock.html(due)
        milestone = (
            f"\n      {escape(say.words('tickets-milestone', clock.item.milestone.value))}<br>\n"
            f'      <small>{escape(say.gettext(DUE))} <time datetime="{escape(due.isoformat())}">'
            f"{escape(say.datetime(due, t.timezone))}</time></small>"
        )
    if t.at_risk:
        seconds = t.predicted_late_seconds
        late_by = "" if seconds is None else say.duration(timedelta(seconds=seconds))
        risk = escape(say.gettext(AT_RISK, late=late_by))
        countdown += Markup(f'\n        <br><span class="badge badge--warn">{risk}</span>')  # noqa: S704
    if late:
        names = ", ".join(say.words("tickets-milestone", code) for code in late)
        milestone += f"\n      <br><small>{escape(say.gettext(MET_LATE_LIST))} {escape(names)}</small>"
    if t.parts:
        parts = "<br>".join(
            f'<span class="nowrap">{escape(say.words("tickets-reservation", hold.status))}: '
            f"{escape(hold.depot)}</span>"
            for hold in t.parts
        )
    else:
        parts = f"<small>{escape(say.gettext(NONE_RESERVED))}</small>"
    tone = SEVERITY_TONES.get(t.severity, "neutral")
    severity = escape(say.words("tickets-severity", t.severity))
    return Markup(  # noqa: S704 (every text escaped)
        f'<tr class="queue-row" data-countdown-host data-state="{escape(clock.state if clock else "met")}">\n'
        f'    <th scope="row"><a href="/tickets/{t.id:d}">{escape(say.gettext(TICKET, id=t.id))}</a><br>'
        f"<small>{escape(_shortened(t.summary))}</small></th>\n"
        f"    <td>{countdown}</td>\n"
        f"    <td>{milestone}\n    </td>\n"
        f"    <td>{escape(t.customer_name)}<br><small>{escape(say.words('tickets-tier', t.tier))} · "
        f"{escape(say.words('tickets-support-hours', t.support_hours))}</small></td>\n"
        f"    <td>{escape(t.site_name)}<br><small>{escape(say.zone_name(t.timezone))}</small></td>\n"
        f'    <td><span class="badge badge--{tone}">{severity}</span></td>\n'
        f"    <td>{parts}</td>\n"
        f"  </tr>"
    )


def _shortened(text: str, length: int = SUMMARY_LENGTH, leeway: int = 5) -> str:
    """``text`` cut at a word before ``length`` with an ellipsis, unless it is at most ``leeway``
    longer (Jinja's ``truncate`` with its default policy)."""
    if len(text) <= length + leeway:
        return text
    return text[: length - 3].rsplit(" ", 1)[0] + "..."


TierChoice = Annotated[Literal["", "standard", "premium", "platinum"] | None, QueryParameter()]
SeverityChoice = Annotated[Literal["", "critical", "major", "minor"] | None, QueryParameter()]
CodeChoice = Annotated[str | None, QueryParameter(max_length=32, pattern=CODE_OR_EMPTY)]
RiskChoice = Annotated[Literal["", "at_risk"] | None, QueryParameter()]


@get("/tickets", name="sla-queue", guards=[allow(*READERS)])
async def queue(
    request: Request[Any, Any, Any],
    page: NamedDependency[PageRequest],
    now: NamedDependency[datetime],
    tier: TierChoice = None,
    severity: SeverityChoice = None,
    depot: CodeChoice = None,
    customer: CodeChoice = None,
    site: CodeChoice = None,
    risk: RiskChoice = None,
) -> Any:
    """The SLA queue; for htmx (its refresh every 30 s), the ``queue`` block alone. ``risk=at_risk``
    lists only the tickets a committed plan puts at risk."""
    filters = QueueFilters(
        tier=tier or None,
        severity=severity or None,
        depot=depot or None,
        customer=customer or None,
        site=(site or None) if customer else None,
        at_risk=True if risk == "at_risk" else None,
    )
    rows = page_of(await sla_queue(filters, limit=page.fetch, offset=page.offset), page)
    board = ClockBoard(presenter_of(request), now)
    context: dict[str, Any] = {
        "filters": filters,
        "page": rows,
        "rows": [queue_row(board, ticket, now) for ticket in rows.items],
        "board": board,
        "refresh_s": REFRESH_S,
    }
    if not is_htmx(request):
        context |= await _filter_choices(filters)
    return render_page(request, QUEUE_TEMPLATE, context, block="queue")


async def _filter_choices(filters: QueueFilters) -> dict[str, Any]:
    """The lists the filters offer: every depot, the customers, and the sites of the chosen customer."""
    sites = []
    if filters.customer is not None:
        try:
            sites = await list_sites(filters.customer, viewer=None)
        except NotFound:
            sites = []
    return {
        "depots": await list_depots(limit=MAX_CHOICES, offset=0),
        "customers": await list_customers(viewer=None, limit=MAX_CHOICES, offset=0),
        "sites": sites,
        "tiers": [tier.value for tier in Tier],
        "severities": [severity.value for severity in Severity],
    }


# --- a ticket's file ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MilestoneView:
    """A link of the milestone chain: its countdown, its target and the periods it waited for the
    customer."""

    clock: ClockView
    target: timedelta
    pauses: list[Pause]

    @property
    def item(self) -> Countdown:
        return self.clock.item


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the ticket's history: an event recorded, or a deadline that passed unmet."""

    at: datetime
    kind: str
    what: str
    actor: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReservationView:
    """A reservation with its depot and, while it holds stock, the address of the urgent 4-hour check on
    the dispatch board (today at the depot)."""

    record: ReservationRecord
    depot: DepotRecord | None
    urgent_check: str | None

    @property
    def tone(self) -> str:
        return RESERVATION_TONES.get(self.record.status, "neutral")


@dataclass
class FormState:
    """A form as last sent: its values, the errors beside its fields, and a refusal of the service in
    words (``problem``: the code whose words say it, the service's sentence, and its details)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problem: dict[str, Any] | None = None


def _timeline(say: Presenter, file: TicketFile, items: Sequence[Countdown]) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(entry.at, entry.event, say.words("tickets-event", entry.event), entry.actor, entry.note)
        for entry in file.events
    ]
    for item in items:
        if item.state in (CountdownState.BREACHED, CountdownState.MET_LATE):
            what = say.gettext(
                N_("%(milestone)s deadline passed unmet"),
                milestone=say.words("tickets-milestone", item.milestone),
            )
            entries.append(TimelineEntry(item.due_at, "breached", what))
    return sorted(entries, key=lambda entry: entry.at)


def _reservation_views(
    records: Sequence[ReservationRecord], depots: dict[str, DepotRecord], now: datetime, *, may_check: bool
) -> list[ReservationView]:
    views = []
    for record in records:
        depot = depots.get(record.depot)
        urgent = None
        if may_check and record.status == "active" and depot is not None:
            day = now.astimezone(ZoneInfo(depot.timezone)).date()
            urgent = f"/dispatch?date={day.isoformat()}&urgent={record.id}"
        views.append(ReservationView(record, depot, urgent))
    return views


async def _ticket_page(
    request: Request[Any, Any, Any],
    ticket_id: int,
    principal: Principal,
    now: datetime,
    *,
    forms: dict[str, FormState] | None = None,
    block: str | None = None,
    status_code: int = 200,
) -> Any:
    """The ticket's page (or, for htmx, one form's ``block``, retargeted to the form); ``forms`` are
    forms as sent (``event_form``, ``reserve_form``), with their errors."""
    forms = forms or {}
    say = presenter_of(request)
    file = await ticket_file(ticket_id, viewer=None, now=now)
    ticket, site = file.ticket, file.site
    support = SupportHours(ticket.support_hours)
    calendar = calendar_for(site.calendar_region, site.timezone)
    board = ClockBoard(say, now)
    items = countdowns(file.clocks, support, calendar, now)
    history = pause_history(
        ticket.reported_at, [(entry.event, entry.at) for entry in file.events], support, calendar
    )
    milestones = [
        MilestoneView(
            board.view(ticket.id, item, site.calendar_region, site.timezone),
            DEFAULT_TARGETS.get(item.milestone, timedelta(0)),
            history.get(item.milestone, []),
        )
        for item in items
    ]
    may_act = principal.role in SERVICE_DESK and ticket.status == "open"
    reservations = (await tickets.reservations_of_tickets([ticket_id], viewer=None))[ticket_id]
    depots = await depots_by_code(record.depot for record in reservations)
    fulfilment = await tickets.fulfilment_of(
        ticket_id,
        at_risk=ticket.at_risk,
        predicted_late_seconds=ticket.predicted_late_seconds,
        reservations=reservations,
    )
    tier = Tier(file.customer.tier)
    context = {
        "file": file,
        "ticket": ticket,
        "site": site,
        "customer": file.customer,
        "board": board,
        "milestones": milestones,
        "upcoming": next_clock(file.clocks),
        "timeline": _timeline(say, file, items),
        "reservations": _reservation_views(reservations, depots, now, may_check=may_act),
        "fulfilment": fulfilment,
        "ways": {part.reservation: part for part in fulfilment.parts},
        "asset": file.asset,
        "parts_priority": tier in PARTS_PRIORITY_TIERS,
        "may_preempt": may_preempt(tier, Severity(ticket.severity)),
        "may_act": may_act,
        "events": possible_events(file.clocks, now, support, calendar) if may_act else [],
        "event_form": forms.get("event_form") or FormState(),
        "reserve_form": forms.get("reserve_form") or FormState(values={"quantity": "1"}),
        "done": request.query_params.get("done"),
        "severity_tone": SEVERITY_TONES.get(ticket.severity, "neutral"),
    }
    headers = None
    if block is not None and is_htmx(request):
        headers = {"HX-Retarget": f"#{block.replace('_', '-')}", "HX-Reswap": "outerHTML"}
    return render_page(
        request, TICKET_TEMPLATE, context, block=block, status_code=status_code, headers=headers
    )


@get("/tickets/{ticket_id:int}", name="ticket", guards=[allow(*READERS)])
async def ticket_page(
    request: Request[Any, Any, Any],
    ticket_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> Any:
    """A ticket's file: milestone chain, entitlement, warranty, reservations, history and forms."""
    return await _ticket_page(request, ticket_id, principal, now)


def _refusal(exc: DomainError) -> tuple[int, dict[str, Any]]:
    """A service's refusal as a form shows it: its status, the code whose words say it, the service's
    own sentence, the field it names and, for a part no depot can bring in time, the nearest depots that
    have it."""
    document = problem_document(exc)
    status = int(document["status"])
    alternatives = [
        {**option, "estimated_arrival": datetime.fromisoformat(option["estimated_arrival"])}
        for option in exc.details.get("alternatives") or []
    ]
    problem = {
        "code": problem_code(status, document, exc),
        "detail": exc.message,
        "field": exc.details.get("field"),
        "alternatives": alternatives,
    }
    return status, problem


async def _form_again(
    request: Request[Any, Any, Any],
    ticket_id: int,
    principal: Principal,
    now: datetime,
    block: str,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    refused: DomainError | None = None,
) -> Any:
    """The ticket with the form ``block`` as sent: its errors beside its fields (422), or the service's
    refusal in words (the refusal's status)."""
    status, problem = (HTTP_422_UNPROCESSABLE_ENTITY, None) if refused is None else _refusal(refused)
    state = FormState(values, errors or {}, problem)
    return await _ticket_page(
        request, ticket_id, principal, now, forms={block: state}, block=block, status_code=status
    )


# --- recording an event -------------------------------------------------------------------------------


class EventForm(BaseModel):
    """The event form: what happened, when (local time of the site; empty: now) and a note."""

    event: TicketEvent
    at: datetime | None = None
    note: str = Field(default="", max_length=500)


def _site_time(value: datetime, zone: str) -> datetime:
    """A time entered in the site's local time (a ``datetime-local`` field), made aware."""
    return value.replace(tzinfo=ZoneInfo(zone)) if value.tzinfo is None else value


@post("/tickets/{ticket_id:int}/events", name="ticket-event", guards=[allow(*SERVICE_DESK)])
async def record_event(
    request: Request[Any, Any, Any],
    ticket_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    time_bounds: NamedDependency[TimeBounds],
) -> Any:
    """Record an event on the ticket as ``POST /api/v1/tickets/{id}/events`` does, then show the ticket."""
    form = await read_form(request, EventForm)
    file = await ticket_file(ticket_id, viewer=None, now=now)
    zone = file.site.timezone
    errors = dict(form.errors)
    at = None
    if form.data is not None and form.data.at is not None:
        at = _site_time(form.data.at, zone)
        try:
            check_reported_time("at", at, now=now, bounds=time_bounds)
        except InvalidRequest as exc:
            say = presenter_of(request)
            errors["at"] = say.gettext(
                N_("Enter a time between %(earliest)s and %(latest)s"),
                earliest=say.datetime(datetime.fromisoformat(exc.details["earliest"]), zone),
                latest=say.datetime(datetime.fromisoformat(exc.details["latest"]), zone),
            )
    if errors or form.data is None:
        return await _form_again(request, ticket_id, principal, now, "event_form", form.values, errors=errors)
    try:
        return await _recorded(
            request=request,
            principal=principal,
            now=now,
            idempotency_key=None,
            ticket_id=ticket_id,
            event=form.data.event,
            at=at,
            note=form.data.note,
        )
    except (Conflict, InvalidRequest) as exc:
        return await _form_again(request, ticket_id, principal, now, "event_form", form.values, refused=exc)


@idempotent_page
async def _recorded(
    request: Request[Any, Any, Any],
    principal: Principal,
    now: datetime,
    ticket_id: int,
    event: TicketEvent,
    at: datetime | None,
    note: str,
) -> PageAnswer:
    await tickets.record_event(ticket_id, event, at=at, note=note, actor=principal.username, now=now)
    return PageAnswer(location=f"/tickets/{ticket_id}?done=event")


# --- reserving a part ---------------------------------------------------------------------------------


class ReserveForm(BaseModel):
    """The reservation form, as the API's request: a part, a quantity or a serial, a depot (empty: the
    nearest that keeps the promise), and whether to take a lower-priority ticket's hold."""

    part_number: PartNumber
    quantity: int = Field(default=1, gt=0, le=100)
    depot: Code | None = None
    serial: Serial | None = None
    allow_preemption: bool = False


@post("/tickets/{ticket_id:int}/reservations", name="ticket-reserve", guards=[allow(*SERVICE_DESK)])
async def reserve(
    request: Request[Any, Any, Any],
    ticket_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    settings: NamedDependency[Settings],
) -> Any:
    """Reserve parts for the ticket as ``POST /api/v1/tickets/{id}/reservations`` does, then show it."""
    form = await read_form(request, ReserveForm)
    if form.data is None:
        return await _form_again(
            request, ticket_id, principal, now, "reserve_form", form.values, errors=form.errors
        )
    data = form.data
    try:
        return await _reserved(
            request=request,
            principal=principal,
            now=now,
            idempotency_key=None,
            ticket_id=ticket_id,
            wanted=ReservationRequest(
                data.part_number,
                None if data.serial else data.quantity,
                data.depot,
                data.serial,
                data.allow_preemption,
            ),
            ttl=timedelta(hours=settings.reservation_ttl_hours),
            nbd_grace=timedelta(hours=settings.reservation_nbd_grace_hours),
        )
    except (Conflict, InvalidRequest) as exc:
        return await _form_again(request, ticket_id, principal, now, "reserve_form", form.values, refused=exc)


@idempotent_page
async def _reserved(
    request: Request[Any, Any, Any],
    principal: Principal,
    now: datetime,
    ticket_id: int,
    wanted: ReservationRequest,
    ttl: timedelta,
    nbd_grace: timedelta,
) -> PageAnswer:
    await tickets.reserve(
        ticket_id, wanted, actor=principal.username, now=now, ttl=ttl, viewer=None, nbd_grace=nbd_grace
    )
    if wanted.allow_preemption:
        await routing.cancel_lost_stops(actor=principal.username, now=now)
    return PageAnswer(location=f"/tickets/{ticket_id}?done=reservation")


ROUTES = [queue, ticket_page, record_event, reserve]
