"""Read models of the tickets app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ClockRecord:
    due_at: datetime
    met_at: datetime | None
    state: str


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    service: str
    due_from: datetime
    due_by: datetime


@dataclass(frozen=True, slots=True)
class TicketRecord:
    id: int
    customer: str
    site: str
    asset_serial: str | None
    severity: str
    summary: str
    status: str
    priority: int
    user_caused: bool
    support_hours: str
    reported_at: datetime
    restored_at: datetime | None
    closed_at: datetime | None
    next_due_at: datetime | None
    breached: bool
    sla: dict[str, ClockRecord]
    delivery: DeliveryRecord
    at_risk: bool = False
    predicted_late_seconds: int = 0
    parts_eta: datetime | None = None
    visit_eta: datetime | None = None


@dataclass(frozen=True, slots=True)
class TicketEventRecord:
    """One entry of a ticket's history: what happened (``opened`` or a `TicketEvent`), when, who
    recorded it and their note."""

    event: str
    at: datetime
    actor: str
    note: str


@dataclass(frozen=True, slots=True)
class ReservationRecord:
    id: int
    ticket: int
    depot: str
    part_number: str
    quantity: int
    serials: list[str]
    status: str
    estimated_arrival: datetime
    expires_at: datetime
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    preempted_by: int | None = None
    preempted_by_ticket: int | None = None
    batches: list[tuple[str, int]] = field(default_factory=list)
    way: str | None = None
    """How the part reaches its site, once committed (`inventory.tickets.fulfilment`)."""
    eta_committed: bool = False
    """``estimated_arrival`` is the committed plan's (or collection's) ETA, not the sourcing estimate."""
