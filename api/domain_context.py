"""What one application's domain services use as theirs: its database store, audit keys, calendar
overrides and document store (`DomainContext`), kept in the application's state.

The domain reads them through small accessors, each a context variable (`inventory.persistence.
current_store`, `inventory.audit.keys`, `inventory.calendars.calendar_for`), never through module
globals. `DomainContext.entered` sets all three; the application enters its own context for every request
it serves (`EnterDomainContext`, its first middleware) and for its background tasks (`api.sweeper`), and
the operator commands for theirs. So two applications built with different settings can serve in one
process, each seeing only its own database, keys and calendars, and building one changes nothing for
another.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.middleware import ASGIMiddleware
from litestar.plugins import InitPlugin
from litestar.types import ASGIApp, Receive, Scope, Send

from api.settings import Settings
from inventory.audit import AuditKeys, using_keys
from inventory.calendars import CalendarOverrides, using_overrides
from inventory.persistence import Store, create_engine, serving, store_for, using_store
from inventory.secure_media import DocumentStore, using_document_store

STATE_KEY = "domain"
"""Where an application keeps its `DomainContext` in ``app.state``."""


@dataclass(frozen=True, slots=True)
class DomainContext:
    """One application's store (its engine), audit keys and calendar overrides."""

    store: Store
    audit_keys: AuditKeys
    calendar_overrides: Mapping[str, CalendarOverrides]
    documents: DocumentStore

    @classmethod
    def from_settings(cls, settings: Settings) -> DomainContext:
        """The context for ``settings``: the engine for ``DATABASE_URL`` (never creating a missing SQLite
        file: migrations do) and its store, the audit keys, and the calendar overrides."""
        engine = create_engine(
            settings.database_url,
            busy_timeout_s=settings.sqlite_busy_timeout_s,
            timeouts=settings.postgres_timeouts(),
            create_missing=False,
        )
        return cls(
            store_for(engine), settings.audit_keys(), settings.calendar_overrides(), settings.documents()
        )

    def with_store(self, store: Store) -> DomainContext:
        """The same context on another store (e.g. one of the same engine without the audit chain)."""
        return replace(self, store=store)

    @contextmanager
    def entered(self) -> Iterator[DomainContext]:
        """Put this context in use here, and in tasks started here, until the block ends."""
        with (
            using_store(self.store),
            using_keys(self.audit_keys),
            using_overrides(self.calendar_overrides),
            using_document_store(self.documents),
        ):
            yield self


def domain_context(app: Litestar) -> DomainContext:
    """The application's context (``app.state``)."""
    return app.state[STATE_KEY]


class EnterDomainContext(InitPlugin):
    """Every routed request runs in its application's `DomainContext`, from its first middleware on (so
    authentication, which reads users, runs in it too).

    Like `api.logging.RequestIds`, it inserts its middleware first after the ``on_app_init`` hooks have
    put the JWT middleware first. Litestar runs middleware only for a route it has found; answers the
    router gives itself (404, 405) use no database.
    """

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.middleware.insert(0, _Enter())
        return app_config


class _Enter(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        with domain_context(scope["litestar_app"]).entered():
            await next_app(scope, receive, send)


def database_lifespan(settings: Settings):
    """An app lifespan holding what its engine needs while it serves (`inventory.persistence.serving`):
    PostgreSQL's pool, or SQLite's writer connection."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with serving(
            domain_context(app).store.engine,
            pool_min_size=settings.pg_pool_min_size,
            pool_max_size=settings.pg_pool_max_size,
        ):
            yield

    return lifespan
