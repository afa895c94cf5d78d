"""Piccolo app registration for the routing tables."""

import os

from piccolo.conf.apps import AppConfig

from routing.tables import (
    Engineer,
    FleetAbsence,
    FleetPosition,
    Inspection,
    PlanRoute,
    PlanSolve,
    PlanStop,
    PlanStopEvent,
    RoutePlanRecord,
    Vehicle,
)

APP_CONFIG = AppConfig(
    app_name="routing",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        Vehicle,
        Engineer,
        Inspection,
        RoutePlanRecord,
        PlanRoute,
        PlanStop,
        PlanSolve,
        PlanStopEvent,
        FleetPosition,
        FleetAbsence,
    ],
    migration_dependencies=[
        "inventory.stock.piccolo_app",
        "inventory.customers.piccolo_app",
        "inventory.tickets.piccolo_app",
    ],
    commands=[],
)
