"""Typed settings read from the environment (and an optional `.env` file)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, StringConstraints, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from inventory.accounts import LoginLimits, Passwords
from inventory.audit import AuditKeys
from inventory.calendars import CalendarOverrides, parse_overrides
from inventory.notifications import DeliveryPolicy, SmtpServer
from inventory.persistence import PostgresTimeouts
from inventory.secure_media import DocumentStore, FileSystemStore, ObjectStore
from inventory.time_window import TimeBounds
from jobs import QUEUES, PeriodicParams

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'spareline.sqlite3'}"
DEVELOPMENT_SECRET = "development-only-secret-key-not-for-production"  # noqa: S105
MIN_SECRET_LENGTH = 32
LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")
TILE_PLACEHOLDERS = frozenset({"s", "z", "x", "y", "-y", "r"})
"""The placeholders Leaflet fills in a tile URL (``{s}`` with one of the subdomains)."""
SUBDOMAIN = re.compile(r"^[A-Za-z0-9-]{1,63}$")


class Settings(BaseSettings):
    """Service settings; every field maps to the upper-case environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    token_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    demo_password: SecretStr = SecretStr("demo")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] | None = None
    max_body_bytes: int = Field(default=2_000_000, ge=1_024)
    login_attempts_per_minute: int = Field(default=30, ge=1)
    login_attempts_per_username_per_minute: int = Field(default=10, ge=1)
    principal_cache_seconds: float = Field(default=5, ge=0, le=300)
    reservation_ttl_hours: float = Field(default=48, gt=0, le=24 * 30)
    reservation_nbd_grace_hours: float = Field(default=24, ge=0, le=24 * 14)
    sweep_interval_s: float = Field(default=60, ge=0)
    retention_destruction_days: int = Field(default=30, ge=1, le=3650)
    return_overdue_days: int = Field(default=10, ge=1, le=3650)
    report_max_rows: int = Field(default=100_000, ge=1)
    document_store: Literal["filesystem", "s3"] = "filesystem"
    document_folder: Path = PROJECT_ROOT / "var" / "documents"
    document_max_bytes: int = Field(default=1_500_000, ge=1_024)
    document_s3_bucket: str | None = None
    document_s3_endpoint: str | None = None
    document_s3_region: str = "us-east-1"
    document_s3_access_key_id: str | None = None
    document_s3_secret_access_key: SecretStr | None = None
    document_s3_prefix: str = ""
    document_s3_allow_http: bool = False
    evidence_pack_max_records: int = Field(default=500, ge=1)
    evidence_pack_max_entries: int = Field(default=200_000, ge=1)
    calendar_overrides_file: Path | None = None
    audit_signing_key: SecretStr | None = None
    audit_checkpoint_every_entries: int = Field(default=1_000, ge=1)
    audit_checkpoint_every_seconds: float = Field(default=3_600, ge=0)
    background: Literal["queue", "in-process"] | None = None
    worker_in_web: bool = False
    worker_concurrency: int = Field(default=2, ge=1, le=64)
    worker_queues: list[str] = []
    worker_shutdown_graceful_timeout_s: float = Field(default=20, ge=0, le=3_600)
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65_535)
    worker_metrics_address: str = "127.0.0.1"
    worker_stalled_after_s: float = Field(default=30, ge=1, le=3_600)
    queue_pool_max_size: int = Field(default=4, ge=2, le=100)
    web_concurrency: int = Field(default=1, ge=1, le=64)
    session_ttl_seconds: int = Field(default=8 * 3600, ge=60, le=7 * 86_400)
    ui_default_locale: Literal["zh_CN", "en"] = "zh_CN"
    csrf_secret: SecretStr | None = None

    def csrf_key(self) -> str:
        """The key of the pages' CSRF tokens: CSRF_SECRET, or derived from SECRET_KEY."""
        if self.csrf_secret is not None:
            return self.csrf_secret.get_secret_value()
        secret = self.secret_key.get_secret_value()
        return hashlib.sha256(b"spareline-csrf" + secret.encode()).hexdigest()

    @property
    def background_mode(self) -> Literal["queue", "in-process"]:
        """Who runs the periodic jobs and solves: BACKGROUND, or else ``queue`` on PostgreSQL (the worker
        processes; the web process does none) and ``in-process`` on SQLite (the one web process)."""
        if self.background is not None:
            return self.background
        return "in-process" if self.is_sqlite else "queue"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def periodic_params(self) -> PeriodicParams:
        """The values the periodic jobs read."""
        return PeriodicParams(
            checkpoint_every_entries=self.audit_checkpoint_every_entries,
            checkpoint_every_seconds=self.audit_checkpoint_every_seconds,
            delivery=self.delivery_policy(),
            notification_retention=timedelta(days=self.notification_retention_days),
        )

    def audit_keys(self) -> AuditKeys:
        """The audit chain's keys from AUDIT_SIGNING_KEY (64 hex characters, a 32-byte Ed25519 seed), or
        derived from SECRET_KEY when it is not set (the development keys, if that is the development
        secret)."""
        if self.audit_signing_key is not None:
            return AuditKeys.from_seed(bytes.fromhex(self.audit_signing_key.get_secret_value()))
        secret = self.secret_key.get_secret_value()
        return AuditKeys.from_seed(
            hashlib.sha256(b"spareline-audit-signing" + secret.encode()).digest(),
            development=secret == DEVELOPMENT_SECRET,
        )

    def documents(self) -> DocumentStore:
        """Where uploaded documents are kept: the folder ``DOCUMENT_FOLDER``, or with
        ``DOCUMENT_STORE=s3`` the bucket ``DOCUMENT_S3_BUCKET`` of an S3-compatible store."""
        if self.document_store == "filesystem":
            return FileSystemStore(self.document_folder)
        if not self.document_s3_bucket:
            raise ValueError("DOCUMENT_STORE=s3 needs DOCUMENT_S3_BUCKET")
        secret = self.document_s3_secret_access_key
        return ObjectStore.s3(
            bucket=self.document_s3_bucket,
            endpoint=self.document_s3_endpoint,
            region=self.document_s3_region,
            access_key_id=self.document_s3_access_key_id,
            secret_access_key=None if secret is None else secret.get_secret_value(),
            prefix=self.document_s3_prefix,
            allow_http=self.document_s3_allow_http,
        )

    def passwords(self) -> Passwords:
        """Password hashing at the configured argon2id cost."""
        return Passwords(
            time_cost=self.argon2_time_cost,
            memory_kib=self.argon2_memory_kib,
            parallelism=self.argon2_parallelism,
        )

    def login_limits(self) -> LoginLimits:
        """The login throttle's limits, and the key naming its counters (derived from SECRET_KEY, which
        every process of a deployment shares)."""
        secret = self.secret_key.get_secret_value()
        return LoginLimits(
            per_address=self.login_attempts_per_minute,
            per_username=self.login_attempts_per_username_per_minute,
            subject_key=hashlib.sha256(b"spareline-login-throttle" + secret.encode()).digest(),
        )

    def calendar_overrides(self) -> dict[str, CalendarOverrides]:
        """Per-region extra holidays and make-up working days from CALENDAR_OVERRIDES_FILE (JSON)."""
        if self.calendar_overrides_file is None:
            return {}
        return parse_overrides(json.loads(self.calendar_overrides_file.read_text()))

    default_page_size: int = Field(default=50, ge=1)
    max_page_size: int = Field(default=500, ge=1)
    sqlite_busy_timeout_s: float = Field(default=30.0, gt=0)
    pg_pool_min_size: int = Field(default=2, ge=1)
    pg_pool_max_size: int = Field(default=10, ge=1)
    pg_connect_timeout_s: float = Field(default=5, gt=0, le=300)
    pg_statement_timeout_s: float = Field(default=30, ge=0, le=86_400)
    pg_acquire_timeout_s: float = Field(default=10, gt=0, le=300)

    def postgres_timeouts(self) -> PostgresTimeouts:
        """The bounds on waiting for PostgreSQL (a statement timeout of 0 is none)."""
        return PostgresTimeouts(
            connect_s=self.pg_connect_timeout_s,
            statement_s=self.pg_statement_timeout_s or None,
            acquire_s=self.pg_acquire_timeout_s,
        )

    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    routing_osrm_url: str | None = None
    routing_osrm_timeout_s: float = Field(default=5, gt=0, le=60)
    routing_default_time_limit_s: float = Field(default=5, gt=0, le=600)
    routing_max_time_limit_s: float = Field(default=30, gt=0, le=600)
    routing_max_stops: int = Field(default=2_000, ge=1, le=20_000)
    routing_max_vehicles: int = Field(default=500, ge=1, le=5_000)
    routing_max_concurrent_solves: int = Field(default=1, ge=1, le=64)
    solves_at_once: int = Field(default=1, ge=1, le=256)
    routing_solve_margin_s: float = Field(default=5, gt=0, le=600)
    routing_delivery_service_minutes: float = Field(default=10, ge=0, le=240)
    dispatch_visit_minutes: float = Field(default=60, gt=0, le=720)
    dispatch_hard_deadline_tiers: list[Literal["standard", "premium", "platinum"]] = []
    dispatch_inspection_prize_minutes: float = Field(default=240, ge=0, le=1440)
    clock_skew_s: float = Field(default=300, ge=0, le=3_600)
    report_max_age_days: int = Field(default=60, ge=1, le=3_650)
    routing_plan_days_back: int = Field(default=7, ge=0, le=366)
    routing_plan_days_ahead: int = Field(default=60, ge=1, le=366)
    metrics_allowed_networks: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=lambda: list(LOOPBACK_NETWORKS)
    )

    @field_validator("metrics_allowed_networks", "map_tile_subdomains", mode="before")
    @classmethod
    def _text_list(cls, value: object) -> object:
        """A comma-separated list (``10.0.0.0/8, 127.0.0.1``; ``t0,t1,t2``) or a JSON list; empty: none."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    def metrics_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The client networks that may read ``/metrics`` (everyone else gets 404)."""
        return tuple(self.metrics_allowed_networks)

    map_tile_url: Annotated[str, StringConstraints(strip_whitespace=True)] = ""
    map_tile_attribution: Annotated[str, StringConstraints(strip_whitespace=True)] = ""
    map_tile_max_zoom: int = Field(default=18, ge=1, le=24)
    map_tile_subdomains: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["a", "b", "c"])
    map_coord_system: Literal["wgs84", "gcj02"] = "wgs84"

    def map_attributes(self) -> dict[str, str]:
        """The map's settings as the ``data-*`` attributes that ``/static/js/map.js`` reads from its
        container (an empty tile URL: the offline basemap)."""
        return {
            "data-tile-url": self.map_tile_url,
            "data-tile-attribution": self.map_tile_attribution,
            "data-tile-max-zoom": str(self.map_tile_max_zoom),
            "data-tile-subdomains": ",".join(self.map_tile_subdomains),
            "data-coord-system": self.map_coord_system,
        }

    def time_bounds(self) -> TimeBounds:
        """How far from now entered times and plan dates may lie."""
        return TimeBounds(
            clock_skew=timedelta(seconds=self.clock_skew_s),
            report_max_age=timedelta(days=self.report_max_age_days),
            plan_days_back=self.routing_plan_days_back,
            plan_days_ahead=self.routing_plan_days_ahead,
        )

    webhook_allow_private_targets: bool = False
    webhook_timeout_s: float = Field(default=10, gt=0, le=60)
    webhook_max_attempts: int = Field(default=10, ge=1, le=50)
    webhook_retry_base_s: float = Field(default=30, gt=0, le=3_600)
    webhook_retry_cap_s: float = Field(default=6 * 3_600, gt=0, le=7 * 86_400)
    webhook_disable_after_failures: int = Field(default=30, ge=1, le=10_000)
    notification_retention_days: int = Field(default=30, ge=7, le=3_650)
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65_535)
    smtp_from: str = "spareline@localhost"
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None

    def delivery_policy(self) -> DeliveryPolicy:
        """How notifications are delivered (WEBHOOK_* and SMTP_*): webhooks only to public addresses and,
        in production, over HTTPS, unless WEBHOOK_ALLOW_PRIVATE_TARGETS; e-mail only with SMTP_HOST."""
        smtp = None
        if self.smtp_host:
            smtp = SmtpServer(
                host=self.smtp_host,
                port=self.smtp_port,
                sender=self.smtp_from,
                tls=self.smtp_tls,
                username=self.smtp_username,
                password=self.smtp_password.get_secret_value() if self.smtp_password else None,
            )
        return DeliveryPolicy(
            allow_private_targets=self.webhook_allow_private_targets,
            require_https=self.environment == "production",
            timeout_s=self.webhook_timeout_s,
            max_attempts=self.webhook_max_attempts,
            retry_base_s=self.webhook_retry_base_s,
            retry_cap_s=self.webhook_retry_cap_s,
            disable_after_failures=self.webhook_disable_after_failures,
            smtp=smtp,
        )

    @model_validator(mode="after")
    def _check_production(self) -> Settings:
        if self.environment == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEVELOPMENT_SECRET or len(secret) < MIN_SECRET_LENGTH:
                msg = (
                    f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH} "
                    "characters in production"
                )
                raise ValueError(msg)
        if self.audit_signing_key is not None:
            try:
                self.audit_keys()
            except ValueError as exc:
                raise ValueError("AUDIT_SIGNING_KEY must be 64 hex characters (a 32-byte seed)") from exc
        if self.background == "queue" and self.is_sqlite:
            raise ValueError("BACKGROUND=queue needs PostgreSQL: the job queue lives in its database")
        if unknown := sorted(set(self.worker_queues) - set(QUEUES)):
            raise ValueError(f"WORKER_QUEUES: unknown queue(s) {unknown}; the queues are {list(QUEUES)}")
        if self.default_page_size > self.max_page_size:
            raise ValueError("DEFAULT_PAGE_SIZE must not exceed MAX_PAGE_SIZE")
        if self.document_max_bytes > self.max_body_bytes - 64_000:
            raise ValueError(
                "DOCUMENT_MAX_BYTES must leave MAX_BODY_BYTES 64000 bytes for a form's other fields"
            )
        if self.document_store == "s3" and not self.document_s3_bucket:
            raise ValueError("DOCUMENT_STORE=s3 needs DOCUMENT_S3_BUCKET")
        self._check_map_tiles()
        return self

    def _check_map_tiles(self) -> None:
        """A tile URL is an http(s) template with ``{z}``, ``{x}`` and ``{y}`` (``{-y}`` for TMS) and no
        placeholder Leaflet cannot fill; ``{s}`` needs subdomains. In production it needs an attribution:
        maps shown in China carry their provider and its map approval number."""
        for name in self.map_tile_subdomains:
            if not SUBDOMAIN.match(name):
                raise ValueError(f"MAP_TILE_SUBDOMAINS: {name!r} is not a host name label")
        url = self.map_tile_url
        if not url:
            return
        if not re.match(r"^https?://[^/\s]+/", url):
            raise ValueError("MAP_TILE_URL must be an http:// or https:// URL with a host and a path")
        placeholders = set(re.findall(r"\{([^{}]*)\}", url))
        if unknown := sorted(placeholders - TILE_PLACEHOLDERS):
            raise ValueError(
                f"MAP_TILE_URL: unknown placeholder(s) {unknown}; use {{z}}, {{x}}, {{y}}, {{s}}"
            )
        if not {"z", "x"} <= placeholders or not placeholders & {"y", "-y"}:
            raise ValueError("MAP_TILE_URL must contain {z}, {x} and {y}")
        if "s" in placeholders and not self.map_tile_subdomains:
            raise ValueError("MAP_TILE_URL uses {s}: MAP_TILE_SUBDOMAINS must name the subdomains")
        if self.environment == "production" and not self.map_tile_attribution:
            raise ValueError(
                "MAP_TILE_ATTRIBUTION must name the tile provider (and its map approval number) in production"
            )

    @property
    def json_logs(self) -> bool:
        """Whether log lines are JSON (production default) or human-readable."""
        if self.log_format is not None:
            return self.log_format == "json"
        return self.environment == "production"
