"""Piccolo tables of the routing app: the courier fleet, the field engineers, inspections and kept plans."""

from __future__ import annotations

from datetime import time

from piccolo.columns import (
    BigInt,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from inventory.customers.tables import Asset, Site
from inventory.persistence import SCOPED_ENGINE
from inventory.stock.tables import Depot
from inventory.tickets.tables import Reservation, Ticket


class Vehicle(Table, tablename="vehicle", db=SCOPED_ENGINE):
    """A courier vehicle based at a depot, with its load limits and daily shift (depot local time)."""

    code = Varchar(length=32, unique=True)
    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict, index=True)
    capacity_kg = DoublePrecision()
    capacity_l = DoublePrecision()
    shift_start = Time(default=time(8, 0))
    shift_end = Time(default=time(19, 0))
    active = Boolean(default=True)
    created_at = Timestamptz()


class Engineer(Table, tablename="engineer", db=SCOPED_ENGINE):
    """A field engineer based at a home depot, with skills, a shift and a daily working-hours limit.

    ``skills`` is a space-separated, sorted list of skill names. ``working_days`` is empty for the
    working days of the home depot's business calendar (make-up days included), or the weekdays the
    engineer's shift covers whatever the calendar says (``mon tue wed thu fri sat sun``, in that order).
    """

    code = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    home_depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict, index=True)
    skills = Varchar(length=500, default="")
    shift_start = Time(default=time(8, 30))
    shift_end = Time(default=time(18, 30))
    max_working_minutes = Integer(default=480)
    active = Boolean(default=True)
    created_at = Timestamptz()
    working_days = Varchar(length=32, default="")


class Inspection(Table, tablename="inspection", db=SCOPED_ENGINE):
    """A periodic on-site inspection of an asset: an optional visit that fills an engineer's free time."""

    asset = ForeignKey(references=Asset, null=False, on_delete=OnDelete.restrict, index=True)
    due_on = Date()
    duration_minutes = Integer(default=60)
    skill = Varchar(length=40)
    status = Varchar(length=16, default="planned")
    created_by = Varchar(length=64)
    created_at = Timestamptz()
    done_at = Timestamptz(null=True, default=None)


class RoutePlanRecord(Table, tablename="route_plan", db=SCOPED_ENGINE):
    """A kept plan: next-business-day deliveries (``nbd``) or engineer dispatch (``dispatch``) for a date.

    Plans are never changed after they are made, except their status: ``draft`` until ``committed``;
    committing another plan of the same kind and date makes the committed one ``superseded``. Times of
    its stops are absolute; ``epoch`` is the origin of the solver's seconds.
    """

    kind = Varchar(length=16)
    plan_date = Date(index=True)
    depots = Varchar(length=4000, default="")
    status = Varchar(length=16, default="draft")
    based_on = Integer(null=True, default=None)
    epoch = Timestamptz()
    objective = BigInt()
    lateness_cost = BigInt(default=0)
    stats = Text()
    created_by = Varchar(length=64)
    created_at = Timestamptz()
    committed_by = Varchar(length=64, null=True, default=None)
    committed_at = Timestamptz(null=True, default=None)


class PlanRoute(Table, tablename="plan_route", db=SCOPED_ENGINE):
    """One vehicle's (or engineer's) route in a plan."""

    plan = ForeignKey(references=RoutePlanRecord, null=False, on_delete=OnDelete.restrict, index=True)
    vehicle = Varchar(length=32)
    depot = Varchar(length=32)
    departure = Timestamptz()
    arrival = Timestamptz()
    travel_seconds = Integer()
    distance_metres = Integer()


class PlanStop(Table, tablename="plan_stop", db=SCOPED_ENGINE):
    """A stop of a plan: routed (``route`` and ``position`` set) or unassigned with ``unassigned_reason``.

    It keeps what the solver was given (place, window, service, demand, skills, deadline), so that the
    plan can be read back as a problem, e.g. to insert an urgent delivery.
    """

    plan = ForeignKey(references=RoutePlanRecord, null=False, on_delete=OnDelete.restrict, index=True)
    route = ForeignKey(references=PlanRoute, null=True, on_delete=OnDelete.restrict, index=True)
    position = Integer(null=True, default=None)
    stop_key = Varchar(length=64)
    kind = Varchar(length=16)
    ticket = ForeignKey(references=Ticket, null=True, on_delete=OnDelete.restrict, index=True)
    reservation = ForeignKey(references=Reservation, null=True, on_delete=OnDelete.restrict)
    inspection = ForeignKey(references=Inspection, null=True, on_delete=OnDelete.restrict)
    site = ForeignKey(references=Site, null=True, on_delete=OnDelete.restrict)
    depot = Varchar(length=32, null=True, default=None)
    place = Varchar(length=32)
    latitude = DoublePrecision()
    longitude = DoublePrecision()
    window_start = Timestamptz(null=True, default=None)
    window_end = Timestamptz(null=True, default=None)
    deadline = Timestamptz(null=True, default=None)
    deadline_hard = Boolean(default=False)
    lateness_weight = Integer(default=1)
    service_seconds = Integer()
    weight_g = BigInt(default=0)
    volume_ml = BigInt(default=0)
    skills = Varchar(length=500, default="")
    pickup_of = Varchar(length=64, null=True, default=None)
    optional = Boolean(default=False)
    prize = Integer(default=0)
    pinned = Boolean(default=False)
    eta = Timestamptz(null=True, default=None)
    start_at = Timestamptz(null=True, default=None)
    departure_at = Timestamptz(null=True, default=None)
    late_seconds = Integer(default=0)
    unassigned_reason = Varchar(length=24, null=True, default=None)
    due_from = Timestamptz(null=True, default=None)
    due_by = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="planned")
    override_reason = Varchar(length=500, null=True, default=None)


class PlanStopEvent(Table, tablename="plan_stop_event", db=SCOPED_ENGINE):
    """What happened to a stop of a committed plan (append-only): its status became ``status`` at ``at``.

    ``kind``, ``plan_date``, ``stop_key`` and ``vehicle`` name the stop across the versions of the day's
    plan: a re-plan carries a stop in progress into a new plan under the same key, and the day's
    history is read by key (`routing.execution.day_states`).
    """

    plan = ForeignKey(references=RoutePlanRecord, null=False, on_delete=OnDelete.restrict, index=True)
    stop = ForeignKey(references=PlanStop, null=False, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=16)
    plan_date = Date()
    stop_key = Varchar(length=64)
    vehicle = Varchar(length=32)
    status = Varchar(length=16)
    at = Timestamptz()
    reason = Varchar(length=500, default="")
    reported_by = Varchar(length=64)
    recorded_at = Timestamptz()


class FleetPosition(Table, tablename="fleet_position", db=SCOPED_ENGINE):
    """Where a van (``vehicle``) or an engineer (``engineer``) reported itself at ``at`` (append-only)."""

    kind = Varchar(length=16)
    code = Varchar(length=32)
    latitude = DoublePrecision()
    longitude = DoublePrecision()
    at = Timestamptz()
    reported_by = Varchar(length=64)
    recorded_at = Timestamptz()


class FleetAbsence(Table, tablename="fleet_absence", db=SCOPED_ENGINE):
    """A van (``vehicle``) or an engineer (``engineer``) unavailable from ``starts_at`` to ``ends_at``."""

    kind = Varchar(length=16)
    code = Varchar(length=32)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    reason = Varchar(length=500, default="")
    created_by = Varchar(length=64)
    created_at = Timestamptz()


class PlanSolve(Table, tablename="plan_solve", db=SCOPED_ENGINE):
    """A request for a day's plan (``nbd`` deliveries or ``dispatch``), solved outside the request.

    ``state`` goes ``queued`` -> ``solving`` -> ``done`` (with ``plan``, a draft) or ``failed`` (with
    ``problem``: the error that stopped it, as JSON). ``attempts`` counts the runs that claimed it (a run
    after a crash claims it again). A request with an ``Idempotency-Key`` keeps the key, the route it was
    sent to (``idempotency_scope``: the kind) and the body's fingerprint; a unique index on
    ``(requested_by, idempotency_scope, idempotency_key)`` makes the same key one solve. The embedded
    queue that runs a solve sets ``heartbeat_at`` every few seconds; an unfinished solve whose heartbeat
    (or request) is old has nobody running it any more.
    """

    kind = Varchar(length=16)
    plan_date = Date()
    depots = Varchar(length=4000, default="")
    time_limit_s = DoublePrecision()
    seed = BigInt(default=0)
    state = Varchar(length=16, default="queued")
    plan = ForeignKey(references=RoutePlanRecord, null=True, on_delete=OnDelete.restrict)
    problem = Text(null=True, default=None)
    attempts = Integer(default=0)
    requested_by = Varchar(length=64)
    requested_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    heartbeat_at = Timestamptz(null=True, default=None)
    idempotency_scope = Varchar(length=32, null=True, default=None)
    idempotency_key = Varchar(length=255, null=True, default=None)
    fingerprint = Varchar(length=64, null=True, default=None)
    unpin = Varchar(length=4000, default="")
