"""The application factory: ``uvicorn api.app:create_app --factory``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar, Request, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.plugins.pydantic import PydanticPlugin
from opentelemetry.trace import TracerProvider

from api.controllers.accounts import TokenController, UserController
from api.controllers.audit import AuditController
from api.controllers.catalogue import DepotController, PartController
from api.controllers.counts import CountController, WriteOffController
from api.controllers.customers import AssetController, CustomerController
from api.controllers.fleet import EngineerController, InspectionController, VehicleController
from api.controllers.fulfilment import FulfilmentController
from api.controllers.health import health, readiness
from api.controllers.labels import LabelController
from api.controllers.notices import NoticeController
from api.controllers.notifications import WebhookController
from api.controllers.planning import ReplenishmentController, StockPolicyController
from api.controllers.replacements import (
    AssetPartsController,
    ReplacementController,
    TicketFollowUpController,
)
from api.controllers.returns import ReturnController, VendorReturnController
from api.controllers.routing import DispatchController, RoutingController, planning_policy
from api.controllers.scan import ScanController
from api.controllers.secure_media import (
    ComplianceController,
    RetentionController,
    SanitizationPolicyController,
)
from api.controllers.stock import StockController
from api.controllers.stock_lists import StockListController
from api.controllers.tickets import ReservationController, TicketController
from api.database import MigrationCheck
from api.domain_context import STATE_KEY, DomainContext, EnterDomainContext, database_lifespan
from api.errors import problem_details_plugin, routing_problem, unexpected_problem, validation_answer
from api.heap import frozen_heap_lifespan
from api.idempotency import Call
from api.logging import RequestIds, configure_logging
from api.metrics import Metrics
from api.openapi import TAGS, ModelSchemas, OperationNotes, ProblemResponses, describe_service
from api.pagination import provide_page
from api.plain_text import RefuseControlCharacters
from api.query import DropEmptyQueryParameters
from api.requests import ServiceRequest
from api.security import PRINCIPALS_KEY, PrincipalCache, TokenIssuer, build_jwt_auth
from api.settings import Settings
from api.single_process import single_web_process_lifespan
from api.solves import (
    PLANNING_KEY,
    SOLVE_QUEUE_KEY,
    InProcessSolves,
    provide_planning_policy,
    provide_solves,
    solves_lifespan,
)
from api.sweeper import sweeper_lifespan
from api.tracing import tracing_plugins
from api.web import WebShell
from api.worker import queue_lifespan
from inventory.accounts import Principal
from observability import service_version
from observability.tracing import configured_tracer_provider
from routing import PlanningPolicy, RoutingError

API_PREFIX = "/api/v1"
TOKEN_PATH = f"{API_PREFIX}/auth/token"

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def background_lifespan(settings: Settings, clock: Clock):
    """Who does the background work (BACKGROUND): the job queue's workers, the web process only queueing
    solves (and running a worker itself with WORKER_IN_WEB); or the web process alone, running the
    periodic jobs in-process and its solves as tasks (SQLite; `api.solves.InProcessSolves`)."""
    if settings.background_mode == "queue":
        return queue_lifespan(settings, clock)
    return sweeper_lifespan(settings, clock)


def create_app(
    settings: Settings | None = None,
    clock: Clock = system_clock,
    *,
    tracer_provider: TracerProvider | None = None,
    policy: PlanningPolicy | None = None,
) -> Litestar:
    """Build the service from settings (read from the environment when not given).

    Requests are traced with ``tracer_provider``, or the process's when the environment names an OTLP
    endpoint (`observability.tracing.configured_tracer_provider`); otherwise they are not.

    The web pages (`api.pages`, on the shell of `api.web`) are served beside the API, on their own
    router, with session cookies and CSRF checks; the API keeps its bearer tokens. Pages and static files
    are gzip-compressed for clients that accept it; the API's JSON is not (`api.web.UNCOMPRESSED`).

    Everything the service keeps belongs to the returned application: its database, audit keys and
    calendar overrides (``app.state``, put in use for each of its requests and background tasks:
    `api.domain_context`), its planning policy with its solver processes and its solve queue
    (`api.solves`), and its caches of users and tokens (`api.security`). Building another
    application changes none of them. Logging alone is the process's: the last application built sets
    its format and level.

    The login throttle keeps nothing in the process: it counts attempts in the database
    (`inventory.accounts.count_sign_in_attempt`), so every application serving that database, in any
    process, shares its limits. ``clock`` is the time it counts them at, as for every rule of the service.

    Plan requests hand their solves to the app's queue (``app.state``, `api.solves`): the job queue's
    (`jobs.QueuedSolves`, set by the queue's lifespan) in the queue mode, or the embedded
    `api.solves.InProcessSolves` in the in-process mode. Either way the solver runs in a child process
    (``policy``: how plans are made; by default from the settings, `planning_policy`).

    Raises:
        pydantic.ValidationError: invalid settings, e.g. production without a real SECRET_KEY.
        ValueError: PROMETHEUS_MULTIPROC_DIR is set but names no directory.
    """
    settings = settings or Settings()
    configure_logging(settings)
    domain = DomainContext.from_settings(settings)
    principals = PrincipalCache(settings.principal_cache_seconds)
    jwt_auth = build_jwt_auth(settings, principals)
    web = WebShell(settings, principals, clock)
    passwords = settings.passwords()
    tokens = TokenIssuer(jwt_auth, settings.token_ttl_seconds)
    policy = policy or planning_policy(settings)
    state: dict[str, Any] = {STATE_KEY: domain, PLANNING_KEY: policy, PRINCIPALS_KEY: principals, **web.state}
    if settings.background_mode == "in-process":
        state[SOLVE_QUEUE_KEY] = InProcessSolves(domain, policy, clock)
    time_bounds = settings.time_bounds()
    migration_check = MigrationCheck()
    tracer_provider = tracer_provider or configured_tracer_provider()

    login_limits = settings.login_limits()

    def provide_principal(request: Request[Any, Any, Any]) -> Principal:
        return request.user

    def provide_call(request: Request[Any, Any, Any]) -> Call:
        return Call(request.user, clock(), settings)

    api = Router(
        path=API_PREFIX,
        route_handlers=[
            TokenController,
            UserController,
            DepotController,
            PartController,
            StockController,
            NoticeController,
            ReturnController,
            VendorReturnController,
            CountController,
            WriteOffController,
            StockListController,
            LabelController,
            ScanController,
            StockPolicyController,
            ReplenishmentController,
            CustomerController,
            AssetController,
            TicketController,
            ReservationController,
            TicketFollowUpController,
            ReplacementController,
            AssetPartsController,
            AuditController,
            RetentionController,
            ComplianceController,
            SanitizationPolicyController,
            VehicleController,
            EngineerController,
            InspectionController,
            RoutingController,
            DispatchController,
            WebhookController,
            FulfilmentController,
        ],
    )
    app = Litestar(
        route_handlers=[health, readiness, api, *web.routers],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False, use_cache=True),
            "now": Provide(clock, sync_to_thread=False),
            "page": Provide(provide_page, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "call": Provide(provide_call, sync_to_thread=False),
            "passwords": Provide(lambda: passwords, sync_to_thread=False, use_cache=True),
            "tokens": Provide(lambda: tokens, sync_to_thread=False, use_cache=True),
            "login_limits": Provide(lambda: login_limits, sync_to_thread=False, use_cache=True),
            "planning_policy": Provide(provide_planning_policy, sync_to_thread=False),
            "solves": Provide(provide_solves, sync_to_thread=False),
            "time_bounds": Provide(lambda: time_bounds, sync_to_thread=False, use_cache=True),
            "migration_check": Provide(lambda: migration_check, sync_to_thread=False, use_cache=True),
        },
        on_app_init=[jwt_auth.on_app_init],
        plugins=[
            ModelSchemas(),
            PydanticPlugin(validate_strict=True),
            problem_details_plugin(),
            ProblemResponses(),
            OperationNotes(),
            RequestIds(),
            EnterDomainContext(),
            Metrics(settings.metrics_networks()),
            *tracing_plugins(tracer_provider),
            *web.plugins(),
        ],
        exception_handlers={
            RoutingError: routing_problem,
            ValidationException: validation_answer,
            Exception: unexpected_problem,
        },
        middleware=[DropEmptyQueryParameters(), RefuseControlCharacters()],
        request_class=ServiceRequest,
        csrf_config=web.csrf_config,
        compression_config=web.compression_config,
        template_config=web.template_config,
        lifespan=[
            single_web_process_lifespan(settings),
            database_lifespan(settings),
            # Before the background's: its queue's worker (with WORKER_IN_WEB) stops before the solver
            # processes do.
            solves_lifespan(),
            background_lifespan(settings, clock),
            frozen_heap_lifespan,
        ],
        state=State(state),
        openapi_config=OpenAPIConfig(
            title="Spareline",
            version=service_version(),
            description=describe_service(settings, token_path=TOKEN_PATH),
            tags=TAGS,
            path="/schema",
            render_plugins=web.schema_pages(),
        ),
        request_max_body_size=settings.max_body_bytes,
        logging_config=None,
        debug=False,
    )
    return app
