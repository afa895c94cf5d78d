"""Which Piccolo apps make up the service, and their tables."""

from __future__ import annotations

import importlib

from piccolo.table import Table

PICCOLO_APPS = [
    "inventory.customers.piccolo_app",
    "inventory.stock.piccolo_app",
    "inventory.tickets.piccolo_app",
    "inventory.audit.piccolo_app",
    "inventory.secure_media.piccolo_app",
    "routing.piccolo_app",
    "inventory.accounts.piccolo_app",
]
"""Piccolo app modules, in dependency order; ``piccolo_conf.APP_REGISTRY`` uses the same list."""


def all_tables() -> list[type[Table]]:
    """Every table of every app."""
    tables: list[type[Table]] = []
    for module in PICCOLO_APPS:
        tables.extend(importlib.import_module(module).APP_CONFIG.table_classes)
    return tables
