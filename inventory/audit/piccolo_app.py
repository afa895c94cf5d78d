"""Piccolo app registration for the audit tables."""

import os

from piccolo.conf.apps import AppConfig

from inventory.audit.tables import AuditCheckpoint, AuditEntry, AuditHead

APP_CONFIG = AppConfig(
    app_name="audit",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[AuditEntry, AuditHead, AuditCheckpoint],
    migration_dependencies=[],
    commands=[],
)
