"""Piccolo tables of the tickets app: tickets, SLA milestones, ticket events and notes, reservations,
the models' bills of field-replaceable parts and replacement requests."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Numeric, OnDelete, Text, Timestamptz, Varchar
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


class PartStep(Table, tablename="part_step", db=SCOPED_ENGINE):
    """A step of a reserved part's way that its carrier reported: ``picked`` (picked up at the depot by
    the engineer, or by the van of an urgent delivery) or ``on_the_van`` (the van set out to the site with
    it), at ``at``. Appended by `inventory.tickets.fulfilment.part_moved` only; the history outlives
    re-plans of the way."""

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict, index=True)
    reservation = ForeignKey(references=Reservation, null=False, on_delete=OnDelete.restrict)
    step = Varchar(length=16)
    carrier = Varchar(length=32, null=True, default=None)
    at = Timestamptz()
    recorded_at = Timestamptz()


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


class ModelPart(Table, tablename="model_part", db=SCOPED_ENGINE):
    """One line of an asset model's bill of field-replaceable parts: ``part`` is installed ``installed``
    times in every asset of ``model``, or, with ``supersedes``, it is an alternate (a newer part) that
    replaces the installed part ``supersedes`` (`inventory.tickets.fit`)."""

    model = Varchar(length=200, index=True)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    installed = Integer()
    supersedes = ForeignKey(references=Part, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()


class ReplacementRequest(Table, tablename="replacement_request", db=SCOPED_ENGINE):
    """A request for a replacement part for a ticket, with the entitlement check's decision and its
    state (`inventory.tickets.replacement_rules`).

    ``charge`` is ``free`` or ``at_cost`` (then ``unit_cost`` is the price basis and the customer accepts
    it before approval); ``refusal`` names the rule that refused it; ``alternatives`` (JSON) are the
    depots a dispatcher may choose from when no depot could keep the promise; ``reservation`` is the hold
    that approved it.
    """

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict, index=True)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    quantity = Integer()
    reason = Varchar(length=500, default="")
    state = Varchar(length=24, index=True)
    tier = Varchar(length=16)
    coverage_phase = Varchar(length=32, null=True, default=None)
    warranty_end = Date(null=True, default=None)
    charge = Varchar(length=16, null=True, default=None)
    unit_cost = Numeric(digits=(12, 2), null=True, default=None)
    replacement_right = Boolean(default=False)
    replacement_due_at = Timestamptz(null=True, default=None)
    refusal = Varchar(length=32, default="")
    note = Varchar(length=500, default="")
    alternatives = Text(default="[]")
    override_reason = Varchar(length=500, default="")
    reservation = ForeignKey(references=Reservation, null=True, on_delete=OnDelete.restrict)
    requested_by = Varchar(length=64)
    requested_at = Timestamptz()
    charge_accepted_by = Varchar(length=64, null=True, default=None)
    charge_accepted_at = Timestamptz(null=True, default=None)
    decided_by = Varchar(length=64, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    closed_by = Varchar(length=64, null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class TicketNote(Table, tablename="ticket_note", db=SCOPED_ENGINE):
    """A note on a ticket; customers see those marked ``customer_visible`` (their own always are)."""

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict, index=True)
    body = Varchar(length=2000)
    customer_visible = Boolean(default=False)
    author = Varchar(length=64)
    author_role = Varchar(length=16)
    written_at = Timestamptz()
