"""Fault tickets, SLA clocks, delivery promises and reservations of parts."""

from inventory.tickets.backlog import SweepLag, sweep_lag
from inventory.tickets.countdown import (
    Countdown,
    CountdownState,
    Pause,
    countdowns,
    met_late,
    next_clock,
    pause_history,
    possible_events,
    read_clock,
    working_intervals,
)
from inventory.tickets.coverage import (
    CoveredAsset,
    covered,
    get_covered_asset,
    installed_unit_coverage,
    list_covered_assets,
)
from inventory.tickets.priority import PARTS_PRIORITY_TIERS, Severity, Tier, may_preempt
from inventory.tickets.records import ReservationRecord, TicketRecord
from inventory.tickets.reservation_views import get_reservation, ticket_reservations
from inventory.tickets.reservations import ReservationRequest, expire_due, release, reserve
from inventory.tickets.service import get_ticket, list_tickets, open_ticket, record_event, sweep_breaches
from inventory.tickets.sla import DEFAULT_TARGETS, SupportHours, TicketEvent
from inventory.tickets.ticket_views import (
    AssetWarranty,
    QueueFilters,
    QueueTicket,
    TicketFile,
    sla_queue,
    ticket_file,
)

__all__ = [
    "DEFAULT_TARGETS",
    "PARTS_PRIORITY_TIERS",
    "AssetWarranty",
    "Countdown",
    "CountdownState",
    "CoveredAsset",
    "Pause",
    "QueueFilters",
    "QueueTicket",
    "ReservationRecord",
    "ReservationRequest",
    "Severity",
    "SupportHours",
    "SweepLag",
    "TicketEvent",
    "TicketFile",
    "TicketRecord",
    "Tier",
    "countdowns",
    "covered",
    "expire_due",
    "get_covered_asset",
    "get_reservation",
    "get_ticket",
    "installed_unit_coverage",
    "list_covered_assets",
    "list_tickets",
    "may_preempt",
    "met_late",
    "next_clock",
    "open_ticket",
    "pause_history",
    "possible_events",
    "read_clock",
    "record_event",
    "release",
    "reserve",
    "sla_queue",
    "sweep_breaches",
    "sweep_lag",
    "ticket_file",
    "ticket_reservations",
    "working_intervals",
]
