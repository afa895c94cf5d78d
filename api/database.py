"""Which Piccolo apps make up the service, and wiring the engine to their tables."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from piccolo.engine.base import Engine
from piccolo.table import Table

from api.settings import Settings
from inventory.audit import configure_keys
from inventory.calendars import configure_overrides
from inventory.persistence import bind_engine, create_engine, serving

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


def connect(settings: Settings) -> Engine:
    """Build the engine for ``DATABASE_URL`` (never creating a missing SQLite file: migrations do),
    bind every table to it, and configure the domain's settings-driven parts (calendar overrides, audit
    keys)."""
    engine = create_engine(
        settings.database_url,
        busy_timeout_s=settings.sqlite_busy_timeout_s,
        timeouts=settings.postgres_timeouts(),
        create_missing=False,
    )
    bind_engine(engine, all_tables())
    configure_overrides(settings.calendar_overrides())
    configure_keys(settings.audit_keys())
    return engine


def pool_lifespan(engine: Engine, settings: Settings):
    """An app lifespan holding what the engine needs while the app serves (`persistence.serving`)."""

    @asynccontextmanager
    async def lifespan(_app: object) -> AsyncIterator[None]:
        async with serving(
            engine, pool_min_size=settings.pg_pool_min_size, pool_max_size=settings.pg_pool_max_size
        ):
            yield

    return lifespan
