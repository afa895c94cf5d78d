"""Fault tickets, SLA clocks, delivery promises and reservations of parts."""

from inventory.tickets.backlog import SweepLag, sweep_lag
from inventory.tickets.coverage import (
    CoveredAsset,
    covered,
    get_covered_asset,
    installed_unit_coverage,
    list_covered_assets,
)
from inventory.tickets.priority import Severity, Tier
from inventory.tickets.records import ReservationRecord, TicketRecord
from inventory.tickets.reservation_views import (
    PickRow,
    depot_pick_list,
    get_reservation,
    reservation_depot,
    ticket_reservations,
)
from inventory.tickets.reservations import ReservationRequest, expire_due, release, reserve
from inventory.tickets.service import get_ticket, list_tickets, open_ticket, record_event, sweep_breaches
from inventory.tickets.sla import TicketEvent

__all__ = [
    "CoveredAsset",
    "PickRow",
    "ReservationRecord",
    "ReservationRequest",
    "Severity",
    "SweepLag",
    "TicketEvent",
    "TicketRecord",
    "Tier",
    "covered",
    "depot_pick_list",
    "expire_due",
    "get_covered_asset",
    "get_reservation",
    "get_ticket",
    "installed_unit_coverage",
    "list_covered_assets",
    "list_tickets",
    "open_ticket",
    "record_event",
    "release",
    "reservation_depot",
    "reserve",
    "sweep_breaches",
    "sweep_lag",
    "ticket_reservations",
]
