"""Piccolo tables of the tickets app: tickets, SLA milestones, ticket events and reservations."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from inventory.customers.tables import Asset, Customer, Site
from inventory.persistence import SCOPED_ENGINE
from inventory.stock.tables import Depot, Part, StockUnit

# Partial and composite unique indexes are created by the tickets migrations (see tests/test_migrations.py).


class Ticket(Table, tablename="ticket", db=SCOPED_ENGINE):
    """A customer's fault report on an asset at a site, with its delivery promise and SLA summary.

    ``next_due_at`` (the earliest due time of the milestones still counting, `sla.next_due`) and
    ``breached`` (a milestone was breached, `sla.any_breached`) are kept with the milestones in the same
    transaction, so that lists sort and filter without reading every clock; breach at a given instant is
    ``breached OR next_due_at < now`` (`sla.ticket_breached`).
    """

    customer = ForeignKey(references=Customer, null=False, on_delete=OnDelete.restrict)
    site = ForeignKey(references=Site, null=False, on_delete=OnDelete.restrict)
    asset = ForeignKey(references=Asset, null=True, on_delete=OnDelete.restrict)
    severity = Varchar(length=16)
    summary = Varchar(length=1000)
    status = Varchar(length=16, default="open")
    priority = Integer()
    user_caused = Boolean(default=False)
    support_hours = Varchar(length=16)
    delivery_service = Varchar(length=8)
    delivery_due_from = Timestamptz()
    delivery_due_by = Timestamptz()
    reported_at = Timestamptz()
    restored_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    next_due_at = Timestamptz(null=True, default=None, index=True)
    breached = Boolean(default=False, index=True)
    at_risk = Boolean(default=False, index=True)
    """A committed ETA (delivery or engineer visit) falls after its due time (`at_risk.outlook`)."""
    predicted_late_seconds = Integer(default=0)
    """By how much the latest committed ETA misses its due time (0 while not at risk)."""
    parts_eta = Timestamptz(null=True, default=None)
    """When the last part still on its way is at the site, as the committed ways say (None: none is)."""
    visit_eta = Timestamptz(null=True, default=None)
    """When the engineer is on site, as the committed dispatch plan says."""
    created_by = Varchar(length=64)
    created_at = Timestamptz()


class TicketMilestone(Table, tablename="ticket_milestone", db=SCOPED_ENGINE):
    """One SLA clock of a ticket: response, on site, restore or replacement."""

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict)
    milestone = Varchar(length=16)
    due_at = Timestamptz()
    met_at = Timestamptz(null=True, default=None)
    paused_at = Timestamptz(null=True, default=None)
    state = Varchar(length=16)


class TicketEventLog(Table, tablename="ticket_event", db=SCOPED_ENGINE):
    """Append-only history of what happened to a ticket."""

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict, index=True)
    event = Varchar(length=32)
    at = Timestamptz()
    actor = Varchar(length=64)
    note = Varchar(length=500, default="")
    recorded_at = Timestamptz()


class Reservation(Table, tablename="reservation", db=SCOPED_ENGINE):
    """Parts held for a ticket at a depot until issued, released, expired or pre-empted."""

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict, index=True)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    quantity = Integer()
    status = Varchar(length=16)
    priority = Integer()
    estimated_arrival = Timestamptz()
    expires_at = Timestamptz(index=True)
    created_by = Varchar(length=64)
    created_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    closed_by = Varchar(length=64, null=True, default=None)
    preempted_by = Integer(null=True, default=None, index=True)
    """Id of the reservation that took this hold (reservations are never deleted)."""


class Fulfilment(Table, tablename="fulfilment", db=SCOPED_ENGINE):
    """How a reserved part reaches its site, committed: by a ``van`` (a delivery stop of a committed
    delivery plan), an ``engineer`` (a pickup stop of a committed dispatch plan) or a customer
    ``collection``; and, with way ``visit`` and no reservation, the engineer's committed visit of the
    ticket.

    One row per reservation at most (a unique reservation): a part has one way to its site. ``plan`` and
    ``stop`` name the plan (``route_plan.id``) and stop key that carry it, ``carrier`` the van or
    engineer, ``eta`` when the part (or the engineer) is at the site as the plan now says. Rows are
    written by `inventory.tickets.fulfilment` only, when a plan is committed, its times change, a
    collection is arranged or a reservation ends.
    """

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict, index=True)
    reservation = ForeignKey(references=Reservation, null=True, on_delete=OnDelete.restrict, unique=True)
    way = Varchar(length=16)
    plan = Integer(null=True, default=None, index=True)
    stop = Varchar(length=64, null=True, default=None)
    carrier = Varchar(length=32, null=True, default=None)
    eta = Timestamptz()
    committed_by = Varchar(length=64)
    committed_at = Timestamptz()


class DispatchAttention(Table, tablename="dispatch_attention", db=SCOPED_ENGINE):
    """A ticket on the dispatcher's list: something took away what was arranged for it (``reason``, e.g.
    ``preempted``: its reserved part went to a more urgent ticket), with the plan and stop that lost it.
    Open until a dispatcher resolves it."""

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict, index=True)
    reservation = ForeignKey(references=Reservation, null=True, on_delete=OnDelete.restrict)
    reason = Varchar(length=32)
    note = Varchar(length=500, default="")
    plan = Integer(null=True, default=None)
    stop = Varchar(length=64, null=True, default=None)
    raised_by = Varchar(length=64)
    raised_at = Timestamptz()
    resolved_by = Varchar(length=64, null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)


class ReservationItem(Table, tablename="reservation_item", db=SCOPED_ENGINE):
    """What a reservation holds: one serialized unit, or a quantity of one bulk batch.

    ``active`` is true while the reservation holds the stock; a partial unique index on ``unit`` where
    active makes a second active hold on the same serial impossible.
    """

    reservation = ForeignKey(references=Reservation, null=False, on_delete=OnDelete.restrict, index=True)
    unit = ForeignKey(references=StockUnit, null=True, on_delete=OnDelete.restrict)
    batch_number = Varchar(length=100)
    quantity = Integer()
    active = Boolean(default=True)


class InstalledPart(Table, tablename="installed_part", db=SCOPED_ENGINE):
    """A unit issued against a ticket and fitted into the customer's asset."""

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict)
    asset = ForeignKey(references=Asset, null=True, on_delete=OnDelete.restrict)
    unit = ForeignKey(references=StockUnit, null=False, on_delete=OnDelete.restrict)
    replaces_serial = Varchar(length=100, null=True, default=None)
    installed_at = Timestamptz()


class DefectiveReturn(Table, tablename="defective_return", db=SCOPED_ENGINE):
    """A failed unit taken out of an asset: expected back at a depot, unless the customer keeps it.

    ``expected`` until it is booked in (``received``) at ``received_depot`` as the stock unit ``unit``,
    graded ``repairable``, ``scrap`` or ``vendor_return``."""

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict, index=True)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    failed_serial = Varchar(length=100)
    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    status = Varchar(length=24, index=True)
    expected_by = Timestamptz()
    created_at = Timestamptz()
    received_at = Timestamptz(null=True, default=None)
    received_by = Varchar(length=64, null=True, default=None)
    received_depot = ForeignKey(references=Depot, null=True, on_delete=OnDelete.restrict)
    unit = ForeignKey(references=StockUnit, null=True, on_delete=OnDelete.restrict)
    grade = Varchar(length=16, null=True, default=None)
