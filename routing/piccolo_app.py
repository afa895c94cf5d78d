"""Piccolo app registration for the routing tables."""

import os

from piccolo.conf.apps import AppConfig

from routing.tables import Engineer, Vehicle

APP_CONFIG = AppConfig(
    app_name="routing",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Vehicle, Engineer],
    migration_dependencies=["inventory.stock.piccolo_app"],
    commands=[],
)
