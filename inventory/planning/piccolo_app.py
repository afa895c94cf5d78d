"""Piccolo app registration for the planning tables."""

import os

from piccolo.conf.apps import AppConfig

from inventory.planning.tables import AcceptedSuggestion, DemandForecast, StockPolicy, SupplyRoute

APP_CONFIG = AppConfig(
    app_name="planning",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[SupplyRoute, StockPolicy, DemandForecast, AcceptedSuggestion],
    migration_dependencies=["inventory.stock.piccolo_app"],
    commands=[],
)
