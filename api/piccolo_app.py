"""Piccolo app registration for the API layer's tables."""

import os

from piccolo.conf.apps import AppConfig

from api.tables import IdempotencyRecord, User

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[User, IdempotencyRecord],
    migration_dependencies=["inventory.customers.piccolo_app"],
    commands=[],
)
