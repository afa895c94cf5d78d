"""Piccolo app registration for the secure-media tables."""

import os

from piccolo.conf.apps import AppConfig

from inventory.secure_media.tables import (
    RetentionDocument,
    RetentionEvent,
    RetentionRecord,
    SanitizationPolicy,
)

APP_CONFIG = AppConfig(
    app_name="secure_media",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[RetentionRecord, RetentionEvent, SanitizationPolicy, RetentionDocument],
    migration_dependencies=[
        "inventory.tickets.piccolo_app",
        "inventory.audit.piccolo_app",
        "inventory.stock.piccolo_app",
    ],
    commands=[],
)
