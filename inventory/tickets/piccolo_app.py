"""Piccolo app registration for the tickets tables."""

import os

from piccolo.conf.apps import AppConfig

from inventory.tickets.tables import (
    DefectiveReturn,
    DispatchAttention,
    Fulfilment,
    InstalledPart,
    ModelPart,
    PartStep,
    ReplacementRequest,
    Reservation,
    ReservationItem,
    Ticket,
    TicketEventLog,
    TicketMilestone,
    TicketNote,
)

APP_CONFIG = AppConfig(
    app_name="tickets",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        Ticket,
        TicketMilestone,
        TicketEventLog,
        Reservation,
        ReservationItem,
        InstalledPart,
        DefectiveReturn,
        Fulfilment,
        DispatchAttention,
        ModelPart,
        ReplacementRequest,
        TicketNote,
        PartStep,
    ],
    migration_dependencies=["inventory.customers.piccolo_app", "inventory.stock.piccolo_app"],
    commands=[],
)
