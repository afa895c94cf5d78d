"""Fault tickets, SLA clocks, delivery promises and reservations of parts."""

from inventory.tickets.backlog import SweepLag, sweep_lag
from inventory.tickets.coverage import (
    CoveredAsset,
    covered,
    get_covered_asset,
    installed_unit_coverage,
    list_covered_assets,
)
from inventory.tickets.entitlement import Entitlement, Refusal
from inventory.tickets.priority import Severity, Tier
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
from inventory.tickets.sla import Milestone, TicketEvent

__all__ = [
    "CoveredAsset",
    "Entitlement",
    "Milestone",
    "MilestoneProgress",
    "PickRow",
    "Refusal",
    "ReplacementTerms",
    "ReservationRecord",
    "ReservationRequest",
    "Severity",
    "Shipment",
    "SweepLag",
    "TicketEvent",
    "TicketEventRecord",
    "TicketProgress",
    "TicketRecord",
    "Tier",
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
    "open_ticket",
    "record_event",
    "release",
    "replacement_terms",
    "reservation_depot",
    "reservations_of_tickets",
    "reserve",
    "sweep_breaches",
    "sweep_lag",
    "ticket_events",
    "ticket_reservations",
]
