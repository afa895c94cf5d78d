"""Fault tickets, SLA clocks, delivery promises and reservations of parts."""

from inventory.tickets.backlog import SweepLag, sweep_lag
from inventory.tickets.countdown import (
    Countdown,
    CountdownState,
    Pause,
    countdowns,
    next_countdown,
    pause_history,
    possible_events,
    working_intervals,
)
from inventory.tickets.coverage import (
    CoveredAsset,
    covered,
    get_covered_asset,
    installed_unit_coverage,
    list_covered_assets,
)
from inventory.tickets.entitlement import Entitlement, Refusal
from inventory.tickets.priority import PARTS_PRIORITY_TIERS, Severity, Tier, may_preempt
from inventory.tickets.progress import (
    MilestoneProgress,
    ReplacementTerms,
    Shipment,
    TicketProgress,
    get_progress,
    list_progress,
    replacement_terms,
)
from inventory.tickets.records import ReservationRecord, TicketEventRecord, TicketRecord
from inventory.tickets.reservation_views import (
    PickRow,
    depot_pick_list,
    get_reservation,
    reservation_depot,
    reservations_of_tickets,
    ticket_reservations,
)
from inventory.tickets.reservations import ReservationRequest, expire_due, release, reserve
from inventory.tickets.service import (
    get_ticket,
    list_tickets,
    open_ticket,
    record_event,
    sweep_breaches,
    ticket_events,
)
from inventory.tickets.sla import DEFAULT_TARGETS, Milestone, SupportHours, TicketEvent
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
    "Entitlement",
    "Milestone",
    "MilestoneProgress",
    "Pause",
    "PickRow",
    "QueueFilters",
    "QueueTicket",
    "Refusal",
    "ReplacementTerms",
    "ReservationRecord",
    "ReservationRequest",
    "Severity",
    "Shipment",
    "SupportHours",
    "SweepLag",
    "TicketEvent",
    "TicketEventRecord",
    "TicketFile",
    "TicketProgress",
    "TicketRecord",
    "Tier",
    "countdowns",
    "covered",
    "depot_pick_list",
    "expire_due",
    "get_covered_asset",
    "get_progress",
    "get_reservation",
    "get_ticket",
    "installed_unit_coverage",
    "list_covered_assets",
    "list_progress",
    "list_tickets",
    "may_preempt",
    "next_countdown",
    "open_ticket",
    "pause_history",
    "possible_events",
    "record_event",
    "release",
    "replacement_terms",
    "reservation_depot",
    "reservations_of_tickets",
    "reserve",
    "sla_queue",
    "sweep_breaches",
    "sweep_lag",
    "ticket_events",
    "ticket_file",
    "ticket_reservations",
    "working_intervals",
]
