"""Piccolo app registration for the customers tables."""

import os

from piccolo.conf.apps import AppConfig

from inventory.customers.tables import Asset, Customer, Site

APP_CONFIG = AppConfig(
    app_name="customers",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Customer, Site, Asset],
    migration_dependencies=[],
    commands=[],
)
