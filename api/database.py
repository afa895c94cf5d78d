"""Which Piccolo apps make up the service, their tables and migrations, and which of those migrations a
database has not applied yet."""

from __future__ import annotations

import functools
import importlib

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.table import Table

from inventory.persistence import current_store

PICCOLO_APPS = [
    "inventory.customers.piccolo_app",
    "inventory.stock.piccolo_app",
    "inventory.tickets.piccolo_app",
    "inventory.audit.piccolo_app",
    "inventory.secure_media.piccolo_app",
    "routing.piccolo_app",
    "inventory.accounts.piccolo_app",
    "inventory.notifications.piccolo_app",
    "inventory.planning.piccolo_app",
]
"""Piccolo app modules, in dependency order; ``piccolo_conf.APP_REGISTRY`` uses the same list."""


def all_tables() -> list[type[Table]]:
    """Every table of every app."""
    tables: list[type[Table]] = []
    for module in PICCOLO_APPS:
        tables.extend(importlib.import_module(module).APP_CONFIG.table_classes)
    return tables


@functools.cache
def code_migrations() -> frozenset[tuple[str, str]]:
    """``(app name, migration id)`` of every migration of every app, found as Piccolo's ``migrations
    forwards`` and ``migrations check`` commands find them (the modules of the app's migrations folder,
    by their ``ID``). Read once per process: the code does not change while it runs."""
    finder = BaseMigrationManager()
    found: set[tuple[str, str]] = set()
    for module in PICCOLO_APPS:
        app_config = importlib.import_module(module).APP_CONFIG
        migrations = finder.get_migration_modules(app_config.resolved_migrations_folder_path)
        found |= {(app_config.app_name, migration) for migration in finder.get_migration_ids(migrations)}
    return frozenset(found)


class MigrationCheck:
    """Which of the code's migrations the database of the store in use has not applied yet, for one
    application's readiness.

    Once none is pending, that answer is kept and no longer asked of the database: the release applies
    migrations before the new code serves, and nothing takes them back while it serves.
    """

    def __init__(self) -> None:
        self._all_applied = False

    async def pending(self) -> list[str]:
        """``app:migration id`` of each migration not recorded as applied, in order; empty once all are."""
        if self._all_applied:
            return []
        applied = await current_store().applied_migrations()
        pending = sorted(f"{app}:{migration}" for app, migration in code_migrations() - applied)
        self._all_applied = not pending
        return pending
