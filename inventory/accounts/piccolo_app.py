"""Piccolo app registration for the accounts tables."""

import os

from piccolo.conf.apps import AppConfig

from inventory.accounts.tables import IdempotencyRecord, LoginAttempt, User

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[User, IdempotencyRecord, LoginAttempt],
    migration_dependencies=["inventory.customers.piccolo_app"],
    commands=[],
)
