"""A ticket's timeline as its customer follows it: the SLA milestones (met, or running with the time
left), the ticket's events, its replacement requests, each part's way to the site (reserved, its way
committed with the ETA, picked up by the engineer or on the van, handed out), the engineer's committed
visit, and the notes; and the notes themselves (customers add notes to their own tickets, and read only
those marked customer-visible: internal notes stay with the staff).

``viewer`` confines every read and change to one customer company (NotFound for another's ticket).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inventory.audit import log as audit
from inventory.customers.service import sites_by_code
from inventory.errors import InvalidRequest
from inventory.persistence import write_transaction
from inventory.tickets.records import TicketRecord
from inventory.tickets.replacements import ReplacementRecord, list_requests
from inventory.tickets.reservation_views import check_visible, ticket_reservations
from inventory.tickets.service import get_ticket, ticket_events
from inventory.tickets.sla import ClockState, Milestone
from inventory.tickets.tables import Fulfilment, PartStep, TicketNote

MAX_NOTE = 2000
TIMELINE_REQUESTS = 200
"""The timeline shows up to this many replacement requests of the ticket (the oldest)."""


@dataclass(frozen=True, slots=True)
class NoteRecord:
    id: int
    ticket: int
    body: str
    customer_visible: bool
    author: str
    author_role: str
    written_at: datetime


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the timeline: ``kind`` (``milestone``, ``event``, ``request``, ``part``, ``visit``,
    ``note``) and its ``code`` (the milestone's status, the event, the request's state, the part's step),
    about ``subject`` (a milestone, a part number, a request id), at ``at``."""

    at: datetime
    kind: str
    code: str
    subject: str = ""
    detail: str = ""
    due_at: datetime | None = None
    seconds_left: int | None = None
    """For a running milestone: the time left until it is due (negative: overdue by that much)."""
    eta: datetime | None = None
    eta_committed: bool = False
    """``eta`` is the committed plan's (or the collection's), not the sourcing estimate."""
    reference: int | None = None
    """The request or reservation the entry is about."""


@dataclass(frozen=True, slots=True)
class Timeline:
    ticket: TicketRecord
    zone: str
    """The site's time zone, in which its customer reads the times."""
    entries: tuple[TimelineEntry, ...]


async def add_note(
    ticket_id: int,
    body: str,
    *,
    customer_visible: bool,
    actor: str,
    role: str,
    viewer: str | None,
    now: datetime,
) -> NoteRecord:
    """Add a note to a ticket. A customer's note is always customer-visible; staff choose.

    Raises:
        NotFound: no such ticket, or not the viewer's.
        InvalidRequest: an empty or too long note.
    """
    body = body.strip()
    if not body or len(body) > MAX_NOTE:
        raise InvalidRequest(f"a note has 1 to {MAX_NOTE} characters", field="body")
    visible = True if viewer is not None else customer_visible
    async with write_transaction():
        await check_visible(ticket_id, viewer=viewer)
        inserted = await TicketNote.insert(
            TicketNote(
                ticket=ticket_id,
                body=body,
                customer_visible=visible,
                author=actor,
                author_role=role,
                written_at=now,
            )
        ).returning(TicketNote.id)
        note_id = inserted[0]["id"]
        await audit.append(
            "ticket.note_added",
            f"ticket:{ticket_id}",
            {"note": note_id, "customer_visible": visible},
            actor=actor,
            at=now,
        )
    return NoteRecord(note_id, ticket_id, body, visible, actor, role, now)


async def list_notes(ticket_id: int, *, viewer: str | None) -> list[NoteRecord]:
    """The ticket's notes, oldest first: for a customer, only the customer-visible ones.

    Raises:
        NotFound: no such ticket, or not the viewer's.
    """
    await check_visible(ticket_id, viewer=viewer)
    query = TicketNote.select(
        TicketNote.id,
        TicketNote.ticket,
        TicketNote.body,
        TicketNote.customer_visible,
        TicketNote.author,
        TicketNote.author_role,
        TicketNote.written_at,
    ).where(TicketNote.ticket == ticket_id)
    if viewer is not None:
        query = query.where(TicketNote.customer_visible.eq(True))
    return [NoteRecord(**row) for row in await query.order_by(TicketNote.written_at, TicketNote.id)]


async def ticket_timeline(ticket_id: int, *, viewer: str | None, now: datetime) -> Timeline:
    """The ticket's timeline, oldest first; running milestones with the time left at ``now``.

    Raises:
        NotFound: no such ticket, or not the viewer's.
    """
    ticket = await get_ticket(ticket_id, viewer=viewer, now=now)
    entries = _milestones(ticket, now)
    entries += [
        TimelineEntry(event.at, "event", event.event)
        for event in await ticket_events(ticket_id, viewer=viewer)
    ]
    requests = await list_requests(
        ticket=ticket_id, state=None, viewer=viewer, limit=TIMELINE_REQUESTS, offset=0
    )
    entries += [entry for request in requests for entry in _request_entries(request)]
    entries += await _part_entries(ticket_id, viewer)
    entries += [
        TimelineEntry(
            note.written_at,
            "note",
            "customer_visible" if note.customer_visible else "internal",
            subject=note.author,
            detail=note.body,
            reference=note.id,
        )
        for note in await list_notes(ticket_id, viewer=viewer)
    ]
    sites = await sites_by_code([(ticket.customer, ticket.site)])
    zone = sites[(ticket.customer, ticket.site)].timezone
    return Timeline(ticket, zone, tuple(sorted(entries, key=lambda entry: entry.at)))


def _milestones(ticket: TicketRecord, now: datetime) -> list[TimelineEntry]:
    entries = []
    for milestone in Milestone:
        clock = ticket.sla.get(milestone.value)
        if clock is None:
            continue
        if clock.met_at is not None:
            code = "met" if clock.state == ClockState.MET else "met_late"
            entries.append(
                TimelineEntry(clock.met_at, "milestone", code, milestone.value, due_at=clock.due_at)
            )
        elif clock.state == ClockState.PAUSED:
            entries.append(TimelineEntry(now, "milestone", "paused", milestone.value))
        else:
            code = "overdue" if clock.state == ClockState.BREACHED or clock.due_at < now else "running"
            left = int((clock.due_at - now).total_seconds())
            entries.append(
                TimelineEntry(
                    clock.due_at, "milestone", code, milestone.value, due_at=clock.due_at, seconds_left=left
                )
            )
    return entries


def _request_entries(request: ReplacementRecord) -> list[TimelineEntry]:
    subject = request.part_number
    entries = [
        TimelineEntry(
            request.requested_at, "request", "requested", subject, request.reason, reference=request.id
        )
    ]
    if request.charge_accepted_at is not None:
        entries.append(
            TimelineEntry(
                request.charge_accepted_at, "request", "charge_accepted", subject, reference=request.id
            )
        )
    if request.state != "requested":
        at = request.closed_at or request.decided_at or request.charge_accepted_at or request.requested_at
        detail = request.note if request.state in ("refused", "pending_dispatcher") else ""
        entries.append(TimelineEntry(at, "request", request.state, subject, detail, reference=request.id))
    return entries


async def _part_entries(ticket_id: int, viewer: str | None) -> list[TimelineEntry]:
    """Each reservation's way: reserved (with the sourcing estimate), its way committed (with the ETA),
    the steps its carrier reported (picked up by the engineer, on the van), handed out or ended; and the
    engineer's committed visit."""
    ways = {
        row["reservation"]: row
        for row in await Fulfilment.select(
            Fulfilment.reservation, Fulfilment.way, Fulfilment.eta, Fulfilment.committed_at
        ).where(Fulfilment.ticket == ticket_id)
    }
    steps: dict[int, list[dict]] = {}
    for row in await PartStep.select(PartStep.reservation, PartStep.step, PartStep.at).where(
        PartStep.ticket == ticket_id
    ):
        steps.setdefault(row["reservation"], []).append(row)
    entries = []
    for reservation in await ticket_reservations(ticket_id, viewer=viewer):
        part, ref = reservation.part_number, reservation.id
        entries.append(
            TimelineEntry(
                reservation.created_at,
                "part",
                "reserved",
                part,
                eta=reservation.estimated_arrival,
                reference=ref,
            )
        )
        way = ways.get(reservation.id)
        if way is not None:
            entries.append(
                TimelineEntry(
                    way["committed_at"],
                    "part",
                    f"way_{way['way']}",
                    part,
                    eta=way["eta"],
                    eta_committed=True,
                    reference=ref,
                )
            )
        for step in steps.get(reservation.id, []):
            entries.append(
                TimelineEntry(
                    step["at"],
                    "part",
                    step["step"],
                    part,
                    eta=None if way is None else way["eta"],
                    eta_committed=way is not None,
                    reference=ref,
                )
            )
        if reservation.closed_at is not None:
            code = "delivered" if reservation.status == "issued" else reservation.status
            entries.append(TimelineEntry(reservation.closed_at, "part", code, part, reference=ref))
    visit = ways.get(None)
    if visit is not None and visit["way"] == "visit":
        entries.append(
            TimelineEntry(visit["committed_at"], "visit", "planned", eta=visit["eta"], eta_committed=True)
        )
    return entries
