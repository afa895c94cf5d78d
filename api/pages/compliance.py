"""The compliance officer's screens: the register of retained data-bearing parts
(``/compliance/retentions``, with its ageing chart and CSV), one record (``/compliance/retentions/{id}``:
its custody timeline, its destruction's NIST SP 800-88 fields, the verification and close forms, its
certificate) and the audit chain (``/compliance/audit``: verify it, its last signed checkpoint and public
key, sign a checkpoint, export).

Handlers are thin: they read the query or the form and call the same services as the JSON API
(`inventory.secure_media`, `inventory.audit`); the forms check their fields with the API's own request
models (`api.schemas.secure_media`). Compliance officers and administrators see every screen; only
compliance officers verify and close records (the service's rule: the people who attest an event record it
under their own role), while both may sign a checkpoint, as in the API.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import QueryParameter
from litestar.response import Stream, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from pydantic import BaseModel

from api.controllers.secure_media import certificate_page
from api.idempotency import PageAnswer, idempotent_page
from api.pagination import PageRequest, page_of
from api.params import PathId
from api.schemas.audit import CheckpointExport
from api.schemas.secure_media import CloseIn, CustodyIn, DestructionIn, VerificationIn
from api.security import allow
from api.web.downloads import csv_download
from api.web.forms import read_form
from api.web.locale import presenter_of
from api.web.render import is_htmx, render_page
from inventory import audit, secure_media
from inventory.accounts import Principal, Role
from inventory.errors import DomainError, InvalidRequest, InvalidTransition
from inventory.secure_media import (
    AGE_BUCKETS,
    REGISTER_COLUMNS,
    TECHNIQUES_BY_METHOD,
    WHO_MAY,
    AgeingCount,
    Custody,
    CustodyAction,
    EventType,
    PolicyViolated,
    RetentionState,
    RetentionView,
    SanitizationMethod,
    register_row,
)
from inventory.time_window import TimeBounds, check_reported_time
from presentation import N_, VOCABULARY, Presenter, instant

OFFICERS = (Role.COMPLIANCE, Role.ADMIN)
"""Who may open the compliance screens (as the API's compliance routes)."""
VERIFIERS = (Role.COMPLIANCE,)
"""Who may verify and close a record (the service's rule; administrators read them)."""
HOLDERS = (Role.WAREHOUSE, Role.DISPATCHER)
"""Who may record a record's custody and destruction on these screens (the service's rule; customers
record the destruction of their own parts in the portal)."""
RECORD_READERS = (*OFFICERS, *HOLDERS)
"""Who may open one record (and its certificate): the officers, and the staff who record its events."""
EXPORT_BATCH = 500
"""Records read per query while the CSV export streams."""
DIFFERING_SHOWN = 50
"""Records that differ from the audit chain listed on the audit page (all are counted)."""
CHAIN_ZONE = "UTC"
"""The audit chain's times: the chain belongs to no site, and its signed times are UTC."""

VOCABULARY.define(
    "compliance-state",
    {
        "retained": N_("Retained, not yet destroyed"),
        "destruction_recorded": N_("Destruction recorded, awaiting verification"),
        "verified": N_("Destruction verified"),
        "closed": N_("Closed"),
    },
)
VOCABULARY.define(
    "compliance-state-short",
    {
        "retained": N_("Retained"),
        "destruction_recorded": N_("Awaiting verification"),
        "verified": N_("Verified"),
        "closed": N_("Closed"),
    },
)
VOCABULARY.define(
    "compliance-age",
    {
        "0-7": N_("0–7 days"),  # noqa: RUF001 (a range of days takes an en dash)
        "8-30": N_("8–30 days"),  # noqa: RUF001
        "31-90": N_("31–90 days"),  # noqa: RUF001
        "over 90": N_("Over 90 days"),
    },
)
VOCABULARY.define(
    "compliance-classification",
    {
        "": N_("Not stated"),
        "restricted": N_("Restricted"),
        "confidential": N_("Confidential"),
        "secret": N_("Secret"),
        "top secret": N_("Top secret"),
        "top_secret": N_("Top secret"),
    },
)
VOCABULARY.define(
    "compliance-media",
    {
        "disk": N_("Hard disk"),
        "ssd": N_("Solid-state drive"),
        "memory": N_("Persistent memory"),
        "boot": N_("Flash boot module"),
    },
)
VOCABULARY.define(
    "compliance-custody",
    {
        "handed_over": N_("Handed over"),
        "stored_at": N_("Stored"),
        "moved_to": N_("Moved"),
        "signed_by": N_("Signed for"),
    },
)
VOCABULARY.define(
    "compliance-method",
    {
        "clear": N_("Clear (overwrite with standard commands)"),
        "purge": N_("Purge (defeats laboratory recovery)"),
        "destroy": N_("Destroy (the media cannot be used again)"),
    },
)
VOCABULARY.define(
    "compliance-technique",
    {
        "overwrite": N_("Overwrite"),
        "block_erase": N_("Block erase"),
        "crypto_erase": N_("Cryptographic erase"),
        "degauss": N_("Degauss"),
        "shred": N_("Shred"),
        "disintegrate": N_("Disintegrate"),
        "pulverize": N_("Pulverize"),
        "incinerate": N_("Incinerate"),
        "melt": N_("Melt"),
    },
)
VOCABULARY.define(
    "compliance-result",
    {
        "pass": N_("Passed"),
        "fail": N_("Failed"),
        "accepted": N_("Accepted: the destruction is verified"),
        "rejected": N_("Rejected: the part is retained again"),
    },
)
VOCABULARY.define(
    "compliance-event",
    {
        "custody": N_("Custody"),
        "destruction": N_("Destruction"),
        "verification": N_("Verification"),
        "close": N_("Closing"),
        "document": N_("Document uploaded"),
    },
)
VOCABULARY.define(
    "compliance-custody-kind",
    {
        "customer": N_("Kept by the customer"),
        "depot": N_("Returned to the depot"),
    },
)
VOCABULARY.define(
    "compliance-overdue",
    {"yes": N_("Overdue only"), "no": N_("Not overdue")},
)
VOCABULARY.define(
    "compliance-stack",
    {"state": N_("State"), "classification": N_("Classification")},
)
VOCABULARY.define(
    "problem",
    {
        "nothing-to-checkpoint": N_("The audit chain is empty: there is nothing to sign yet"),
        "sanitization-required": N_(
            "This returned secure part cannot leave quarantine before its sanitization is verified"
        ),
        "sanitization-policy-violated": N_("The sanitization policy does not allow this method or technique"),
        "document-rejected": N_(
            "The document is not accepted: a PDF, PNG or JPEG file within the size limit"
        ),
        "document-altered": N_(
            "The stored document no longer matches the hash recorded when it was uploaded"
        ),
    },
)

STATE_TONES = {
    "retained": "warn",
    "destruction_recorded": "info",
    "verified": "ok",
    "closed": "neutral",
}
STATE_COLOURS = {
    "retained": "#d55e00",
    "destruction_recorded": "#e69f00",
    "verified": "#56b4e9",
    "closed": "#009e73",
}
"""The Okabe-Ito palette, told apart with colour-blindness too; every bar also has its words and number."""
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#999999")

CHAIN_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^expected entry (?P<expected>\d+), found (?P<found>\d+)"),
        N_("Entry %(expected)s is missing or out of place: entry %(found)s was found in its place."),
    ),
    (
        re.compile(r"^the entry does not link to the one before it$"),
        N_("The entry does not link to the one before it: an entry was changed, removed or inserted."),
    ),
    (
        re.compile(r"^the entry's content does not match its hash$"),
        N_("The entry's content does not match its hash: it was changed after it was written."),
    ),
    (
        re.compile(r"^the entry's MAC is wrong"),
        N_("The entry's keyed MAC is wrong: it was written without the audit key."),
    ),
    (
        re.compile(r"^the checkpoint at entry (?P<seq>\d+) has an invalid signature$"),
        N_("The signed checkpoint at entry %(seq)s has an invalid signature."),
    ),
    (
        re.compile(r"^the entry differs from the signed checkpoint at entry (?P<seq>\d+)$"),
        N_("The entry differs from the signed checkpoint at entry %(seq)s: the chain was rewritten."),
    ),
    (
        re.compile(r"^a signed checkpoint covers entry (?P<seq>\d+) but the chain ends at (?P<end>\d+)$"),
        N_("A signed checkpoint covers entry %(seq)s, but the chain ends at entry %(end)s: entries were "
           "removed."),
    ),
)  # fmt: skip
"""The chain verification's reasons (`inventory.audit_chain.Verifier`) in words."""


def chain_reason(presenter: Presenter, reason: str | None) -> str | None:
    """Why the chain verification stopped, in the reader's language; an unknown reason as it is."""
    if reason is None:
        return None
    for pattern, message in CHAIN_REASONS:
        if (found := pattern.match(reason)) is not None:
            return presenter.gettext(message, **found.groupdict())
    return reason


# --- the register ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """The register's filters as the query gives them (each None when not given), checked."""

    customer: str | None = None
    state: str | None = None
    age: str | None = None
    overdue: str | None = None
    custody: str | None = None
    since: date | None = None
    """The first day of the period the records were opened in (China Standard Time), included."""
    until: date | None = None
    """The last day of that period, included."""

    def __post_init__(self) -> None:
        _one_of("state", self.state, [state.value for state in RetentionState])
        _one_of("age", self.age, [label for label, _low, _high in AGE_BUCKETS])
        _one_of("overdue", self.overdue, ["yes", "no"])
        _one_of("custody", self.custody, [custody.value for custody in Custody])
        if self.since is not None and self.until is not None and self.until < self.since:
            raise InvalidRequest("the period ends before it starts", field="until")

    def service(self) -> dict[str, Any]:
        """The filters as the services take them."""
        low, high = next(((lo, hi) for label, lo, hi in AGE_BUCKETS if label == self.age), (None, None))
        zone = ZoneInfo(PERIOD_ZONE)
        return {
            "customer": self.customer,
            "state": None if self.state is None else RetentionState(self.state),
            "overdue": None if self.overdue is None else self.overdue == "yes",
            "min_age_days": low,
            "max_age_days": high,
            "custody": None if self.custody is None else Custody(self.custody),
            "retained_from": None if self.since is None else datetime.combine(self.since, time(), zone),
            "retained_to": None
            if self.until is None
            else datetime.combine(self.until, time(), zone) + timedelta(days=1),
        }

    def query(self) -> str:
        """The filters given, as a query string (empty when none is)."""
        return urlencode({name: value for name, value in asdict(self).items() if value is not None})


def _one_of(name: str, value: str | None, allowed: list[str]) -> None:
    if value is not None and value not in allowed:
        raise InvalidRequest(f"{name} must be one of {', '.join(allowed)}", field=name)


Customer = Annotated[str | None, QueryParameter(max_length=32)]
StateName = Annotated[str | None, QueryParameter(name="state", max_length=32)]
Age = Annotated[str | None, QueryParameter(max_length=16)]
Overdue = Annotated[str | None, QueryParameter(max_length=8)]
CustodyName = Annotated[str | None, QueryParameter(name="custody", max_length=16)]
Day = Annotated[date | None, QueryParameter()]
PERIOD_ZONE = "Asia/Shanghai"
"""The register's period is entered in China Standard Time, the time of every site of the service."""


@get("/compliance/retentions", name="compliance-retentions", guards=[allow(*OFFICERS)])
async def register(
    request: Request[Any, Any, Any],
    now: NamedDependency[datetime],
    page: NamedDependency[PageRequest],
    customer: Customer = None,
    state_name: StateName = None,
    age: Age = None,
    overdue: Overdue = None,
    stack: Annotated[str | None, QueryParameter(max_length=16)] = None,
    custody: CustodyName = None,
    since: Day = None,
    until: Day = None,
) -> Any:
    """Every data-bearing part on record (kept by customers, or returned to a depot), oldest first,
    filtered by customer, state, custody, age, overdue and the period it was opened in; the filtered
    records' ageing as a chart with its numbers; a page at a time, all of them as CSV, and the evidence
    pack of the customer and period."""
    filters = Filters(customer, state_name, age, overdue, custody, since, until)
    _one_of("stack", stack, ["state", "classification"])
    stacked_by = stack or "state"
    wanted = filters.service()
    rows = await secure_media.list_records(
        **wanted, viewer=None, now=now, limit=page.fetch, offset=page.offset
    )
    counts = await secure_media.ageing(**wanted, viewer=None, now=now)
    query = filters.query()
    presenter = presenter_of(request)
    chart = ageing_chart(counts, stacked_by, presenter)
    context = {
        "filters": filters,
        "stack": stacked_by,
        "rows": page_of(rows, page),
        "customers": await secure_media.retention_customers(),
        "states": [state.value for state in RetentionState],
        "custodies": [custody.value for custody in Custody],
        "evidence_address": "/compliance/evidence-packs.zip?"
        + urlencode(
            {
                name: value
                for name, value in (("customer", customer), ("from", since), ("to", until))
                if value is not None
            }
        ),
        "ages": [label for label, _low, _high in AGE_BUCKETS],
        "chart": chart,
        "chart_summary": "; ".join(
            f"{bucket}: {presenter.number(total)}"
            for bucket, total in zip(chart.buckets, chart.totals, strict=True)
        ),
        "csv_address": "/compliance/retentions.csv" + (f"?{query}" if query else ""),
        "state_tones": STATE_TONES,
    }
    push = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render_page(request, "pages/compliance/retentions.html", context, block="results", push_url=push)


@dataclass(frozen=True, slots=True)
class Series:
    """One stack of the chart: its code, its words, its colour and its count in each bucket."""

    code: str
    label: str
    colour: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class Chart:
    """Bars per age bucket, stacked."""

    buckets: tuple[str, ...]
    """The buckets' words, in age order."""
    series: tuple[Series, ...]

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(sum(column) for column in zip(*(s.counts for s in self.series), strict=True)) or tuple(
            0 for _ in self.buckets
        )

    @property
    def total(self) -> int:
        return sum(self.totals)


def ageing_chart(counts: Iterable[AgeingCount], stacked_by: str, presenter: Presenter) -> Chart:
    """The counts per age bucket stacked by state (in the order of a record's life) or by
    classification (by name), each in words."""
    labels = [label for label, _low, _high in AGE_BUCKETS]
    by_key: dict[str, list[int]] = {}
    for count in counts:
        key = count.state if stacked_by == "state" else count.classification_level
        by_key.setdefault(key, [0] * len(labels))[labels.index(count.bucket)] += count.count
    if stacked_by == "state":
        keys = [state.value for state in RetentionState]
        series = [
            Series(key, presenter.words("compliance-state-short", key), STATE_COLOURS[key],
                   tuple(by_key.get(key, [0] * len(labels))))
            for key in keys
        ]  # fmt: skip
    else:
        keys = sorted(by_key, key=lambda key: presenter.words("compliance-classification", key))
        series = [
            Series(key, presenter.words("compliance-classification", key), PALETTE[index % len(PALETTE)],
                   tuple(by_key[key]))
            for index, key in enumerate(keys)
        ]  # fmt: skip
    buckets = tuple(presenter.words("compliance-age", label) for label in labels)
    return Chart(buckets, tuple(series))


# --- the CSV export --------------------------------------------------------------------------------


@get("/compliance/retentions.csv", name="compliance-retentions-csv", guards=[allow(*OFFICERS)])
async def register_csv(
    now: NamedDependency[datetime],
    customer: Customer = None,
    state_name: StateName = None,
    age: Age = None,
    overdue: Overdue = None,
    custody: CustodyName = None,
    since: Day = None,
    until: Day = None,
) -> Stream:
    """The register's filtered records as the auditor's CSV (`register_export`), all of them, read a
    batch at a time."""
    wanted = Filters(customer, state_name, age, overdue, custody, since, until).service()

    async def batches() -> AsyncIterator[list[list[object]]]:
        after: tuple[datetime, int] | None = None
        while True:
            batch = await secure_media.export_records(
                **wanted, viewer=None, now=now, after=after, limit=EXPORT_BATCH
            )
            yield [register_row(record, now) for record in batch]
            if len(batch) < EXPORT_BATCH:
                return
            after = (batch[-1].created_at, batch[-1].id)

    return csv_download(REGISTER_COLUMNS, batches(), f"retained-media-{now:%Y%m%dT%H%MZ}.csv")


# --- one record ------------------------------------------------------------------------------------


@get("/compliance/retentions/{record_id:int}", name="compliance-retention", guards=[allow(*RECORD_READERS)])
async def record_page(
    request: Request[Any, Any, Any],
    record_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    done: Annotated[str | None, QueryParameter(max_length=16)] = None,
) -> Any:
    """One record: what it is, its custody timeline, its destruction's NIST SP 800-88 fields, the
    verification or close form its state calls for, and its certificate (whether it matches the audit
    chain)."""
    return await _render_record(request, record_id, principal, now, done=done)


DONE = tuple(event.value for event in EventType)
"""The events a record's page confirms after its form (``?done=<event>``)."""


async def _render_record(
    request: Request[Any, Any, Any],
    record_id: int,
    principal: Principal,
    now: datetime,
    *,
    done: str | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> Any:
    shown = await secure_media.certificate_of(record_id, viewer=None, now=now)
    record = shown.record
    context = {
        "record": record,
        "certificate": shown,
        "timeline": timeline(record),
        "may_verify": principal.role in VERIFIERS,
        "may_record": principal.role in HOLDERS
        and principal.role.value in WHO_MAY[Custody(record.custody)][EventType.DESTRUCTION],
        "may_upload": principal.role.value in WHO_MAY[Custody(record.custody)][EventType.DOCUMENT],
        "officer": principal.role in OFFICERS,
        "methods": [
            (method.value, sorted(t.value for t in TECHNIQUES_BY_METHOD[method]))
            for method in SanitizationMethod
        ],
        "custody_actions": [action.value for action in CustodyAction],
        "now_local": now.astimezone(ZoneInfo(record.timezone)).strftime("%Y-%m-%dT%H:%M:%S"),
        "done": done if done in DONE else None,
        "form": form,
        "values": values or {},
        "errors": errors or {},
        "refusal": refusal,
        "state_tones": STATE_TONES,
        "performed_at": instant((shown.destruction or {}).get("performed_at")),
    }
    headers = None
    if status_code == HTTP_422_UNPROCESSABLE_ENTITY and is_htmx(request):
        headers = {"HX-Retarget": "#record-actions", "HX-Reswap": "outerHTML"}
    return render_page(
        request,
        "pages/compliance/retention.html",
        context,
        block="actions",
        status_code=status_code,
        headers=headers,
    )


@dataclass(frozen=True, slots=True)
class Moment:
    """One step of a record's custody timeline: what happened, who recorded it, when, and the audit
    chain entry that recorded it."""

    kind: str
    """``created`` or an event type."""
    at: datetime
    actor: str
    role: str | None
    details: dict[str, Any]
    event_id: int | None
    audit_seq: int | None

    @property
    def reported_at(self) -> datetime | None:
        """When a custody event says it happened (if it says), or when a destruction was performed."""
        return instant(self.details.get("at") or self.details.get("performed_at"))


def timeline(record: RetentionView) -> list[Moment]:
    """The record's creation and its events, oldest first, each beside its audit chain entry (the
    creation entry, then the event entries in order)."""
    created = [p.seq for p in record.audit if p.action == "retention.created"]
    recorded = [p.seq for p in record.audit if p.action != "retention.created"]
    moments = [
        Moment(
            "created", record.created_at, record.created_by, None, {}, None, created[0] if created else None
        )
    ]
    for index, event in enumerate(record.events):
        seq = recorded[index] if len(recorded) == len(record.events) else None
        moments.append(Moment(event.event, event.recorded_at, event.actor, event.actor_role, event.details,
                              event.id, seq))  # fmt: skip
    return moments


class CustodyForm(CustodyIn):
    """The custody form: the API's custody event, its time (if given) in the site's local time."""

    at: datetime | None = None


class DestructionForm(DestructionIn):
    """The destruction form: the API's destruction event (the fields of NIST SP 800-88's sample
    certificate), its time in the site's local time."""

    performed_at: datetime


FORMS: dict[EventType, type[BaseModel]] = {
    EventType.CUSTODY: CustodyForm,
    EventType.DESTRUCTION: DestructionForm,
    EventType.VERIFICATION: VerificationIn,
    EventType.CLOSE: CloseIn,
}
"""Each event's form; the API's request model checks its fields."""
LOCAL_TIMES = ("at", "performed_at")
"""The forms' times, entered in the local time of the record's site."""

MESSAGE_REFUSALS = {
    "the part was destroyed before it was retained": N_(
        "The part was retained at %(since)s: it cannot have been destroyed before."
    ),
    "performed_at is in the future": N_("The destruction cannot lie in the future."),
    "the validator must be a second person, not the performer": N_(
        "The validator must be a second person, not the one who performed the destruction."
    ),
    "a destruction whose own verification failed is not a destruction": N_(
        "A destruction whose own check failed is not a destruction: record it once the check passes."
    ),
    "the verifier cannot be the performer or validator": N_(
        "You performed or validated this destruction yourself: a second person must verify it."
    ),
    "upload the signed certificate first, or give its certificate_sha256": N_(
        "Upload the signed certificate first, or enter its SHA-256."
    ),
}
"""The service's refusals of an event, by its own sentence, in words."""
FIELD_REFUSALS = {
    "technique": N_("This technique does not belong to the chosen method."),
    "certificate_sha256": N_("Enter 64 lower-case hexadecimal digits."),
}
"""The service's other refusals, by the field they name, in words."""
TRANSITION_REFUSALS = {
    EventType.CUSTODY: N_("This record is now “%(state)s”: its custody is no longer recorded."),
    EventType.DESTRUCTION: N_("This record is now “%(state)s”: its destruction can no longer be recorded."),
    EventType.VERIFICATION: N_("This record is now “%(state)s”: there is no recorded destruction to verify."),
    EventType.CLOSE: N_("This record is now “%(state)s”: only a verified destruction can be closed."),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the service refused an event, in words, and the form's field it is about (if one)."""

    words: str
    field: str | None = None


def refusal_of(presenter: Presenter, exc: DomainError, event: EventType, record: RetentionView) -> Refusal:
    """The service's refusal of ``event`` on ``record``, in the reader's language."""
    if isinstance(exc, InvalidTransition):
        state = presenter.words("compliance-state", str(exc.details.get("state", "")))
        return Refusal(presenter.gettext(TRANSITION_REFUSALS[event], state=state))
    field = exc.details.get("field")
    field = str(field) if field is not None else None
    zone = record.timezone
    if isinstance(exc, PolicyViolated):
        allowed = "; ".join(
            presenter.words("compliance-technique", t) for t in exc.details["allowed_techniques"]
        )
        return Refusal(
            presenter.gettext(
                N_("Policy %(policy)s does not allow this; it allows: %(allowed)s."),
                policy=exc.details["policy"],
                allowed=allowed,
            ),
            field,
        )
    if exc.message in MESSAGE_REFUSALS:
        since = presenter.datetime(record.created_at, zone)
        return Refusal(presenter.gettext(MESSAGE_REFUSALS[exc.message], since=since), field)
    if field in FIELD_REFUSALS:
        return Refusal(presenter.gettext(FIELD_REFUSALS[field]), field)
    earliest, latest = instant(exc.details.get("earliest")), instant(exc.details.get("latest"))
    if earliest is not None and latest is not None:
        return Refusal(
            presenter.gettext(
                N_("Enter a time between %(earliest)s and %(latest)s."),
                earliest=presenter.datetime(earliest, zone),
                latest=presenter.datetime(latest, zone),
            ),
            field,
        )
    if field is not None and exc.message == f"{field} is required":
        return Refusal(presenter.gettext(N_("Required")), field)
    words = VOCABULARY.message("problem", exc.code) or N_("This cannot be done")
    return Refusal(presenter.gettext(words), field)


async def _record_event(
    request: Request[Any, Any, Any],
    record_id: int,
    principal: Principal,
    now: datetime,
    event: EventType,
    time_bounds: TimeBounds | None = None,
) -> Any:
    """Record an event through the same service as the API (its times, entered in the site's local time,
    checked as the API checks them); the form again (422) with its errors or the service's refusal in
    words, or the record's page."""
    record = await secure_media.get_record(record_id, viewer=None, now=now)
    form = await read_form(request, FORMS[event])
    again = {"form": event.value, "values": form.values, "status_code": HTTP_422_UNPROCESSABLE_ENTITY}
    if not form.valid:
        return await _render_record(request, record_id, principal, now, errors=form.errors, **again)
    assert form.data is not None
    details = form.data.model_dump(mode="python", exclude={"type"}, exclude_none=True)
    try:
        for name in LOCAL_TIMES:
            if isinstance(moment := details.get(name), datetime):
                details[name] = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(record.timezone))
                check_reported_time(name, details[name], now=now, bounds=time_bounds or TimeBounds())
        return await _recorded(
            request=request, record_id=record_id, event=event, details=details, principal=principal, now=now,
            idempotency_key=None,
        )  # fmt: skip
    except (InvalidRequest, InvalidTransition) as refused:
        said = refusal_of(presenter_of(request), refused, event, record)
        errors = {said.field: said.words} if said.field in form.values else {}
        return await _render_record(
            request, record_id, principal, now, errors=errors, refusal=said.words, **again
        )


@idempotent_page
async def _recorded(
    request: Request[Any, Any, Any],
    record_id: int,
    event: EventType,
    details: dict[str, Any],
    principal: Principal,
    now: datetime,
) -> PageAnswer:
    await secure_media.record_event(
        record_id, event, details, actor=principal.username, role=principal.role.value, now=now, viewer=None
    )
    return PageAnswer(location=f"/compliance/retentions/{record_id}?done={event.value}")


@post("/compliance/retentions/{record_id:int}/custody", name="compliance-custody", guards=[allow(*HOLDERS)])
async def custody_submit(
    request: Request[Any, Any, Any],
    record_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    time_bounds: NamedDependency[TimeBounds],
) -> Any:
    """Record who holds the part, where (warehouse staff and dispatchers)."""
    return await _record_event(request, record_id, principal, now, EventType.CUSTODY, time_bounds)


@post(
    "/compliance/retentions/{record_id:int}/destruction",
    name="compliance-destruction",
    guards=[allow(*HOLDERS)],
)
async def destruction_submit(
    request: Request[Any, Any, Any],
    record_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
    time_bounds: NamedDependency[TimeBounds],
) -> Any:
    """Record the part's destruction with the fields of NIST SP 800-88's certificate (warehouse staff and
    dispatchers; customers record their own in the portal)."""
    return await _record_event(request, record_id, principal, now, EventType.DESTRUCTION, time_bounds)


@post(
    "/compliance/retentions/{record_id:int}/verification",
    name="compliance-verification",
    guards=[allow(*VERIFIERS)],
)
async def verification_submit(
    request: Request[Any, Any, Any],
    record_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> Any:
    """Accept or reject the recorded destruction, as a second person."""
    return await _record_event(request, record_id, principal, now, EventType.VERIFICATION)


@post("/compliance/retentions/{record_id:int}/close", name="compliance-close", guards=[allow(*VERIFIERS)])
async def close_submit(
    request: Request[Any, Any, Any],
    record_id: PathId,
    principal: NamedDependency[Principal],
    now: NamedDependency[datetime],
) -> Any:
    """Close a record whose destruction is verified."""
    return await _record_event(request, record_id, principal, now, EventType.CLOSE)


@get(
    "/compliance/retentions/{record_id:int}/certificate",
    name="compliance-certificate",
    guards=[allow(*RECORD_READERS)],
)
async def certificate(record_id: PathId, now: NamedDependency[datetime]) -> Template:
    """The record's printable certificate of sanitization, as the API prints it
    (``GET /api/v1/secure-media/retentions/{id}/certificate``)."""
    shown = await secure_media.certificate_of(record_id, viewer=None, now=now)
    return certificate_page(shown)


# --- the audit chain -------------------------------------------------------------------------------


@get("/compliance/audit", name="compliance-audit", guards=[allow(*OFFICERS)])
async def audit_page(
    request: Request[Any, Any, Any],
    now: NamedDependency[datetime],
    signed: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> Any:
    """The chain's length, its last signed checkpoint and the public key that verifies it; a button to
    verify the chain, a form to sign a checkpoint, the exports."""
    return render_page(request, "pages/compliance/audit.html", await _audit_context(now, signed=signed))


@get("/compliance/audit/verification", name="compliance-audit-verify", guards=[allow(*OFFICERS)])
async def audit_verification(request: Request[Any, Any, Any], now: NamedDependency[datetime]) -> Any:
    """Walk the whole chain and compare every retention record with it, as ``GET /api/v1/audit/verify``
    does; the result in words (for htmx, only the result)."""
    verification = await secure_media.verify_audit()
    presenter = presenter_of(request)
    context = await _audit_context(now) | {
        "verification": verification,
        "reason": chain_reason(presenter, verification.chain.reason),
        "differing": verification.records.mismatched[:DIFFERING_SHOWN],
    }
    return render_page(request, "pages/compliance/audit.html", context, block="verification")


async def _audit_context(now: datetime, *, signed: int | None = None) -> dict[str, Any]:
    last = await audit.last_checkpoint()
    return {
        "status": await audit.chain_status(now),
        "last": last,
        "last_at": None if last is None else instant(last.checkpoint.at),
        "keys": audit.keys(),
        "signed": signed,
        "zone": CHAIN_ZONE,
        "verification": None,
    }


@post("/compliance/audit/checkpoints", name="compliance-checkpoint", guards=[allow(*OFFICERS)])
@idempotent_page
async def checkpoint_submit(request: Request[Any, Any, Any], now: NamedDependency[datetime]) -> PageAnswer:
    """Sign the chain's head now (as ``POST /api/v1/audit/checkpoints``)."""
    signed = await audit.create_checkpoint(now)
    return PageAnswer(location=f"/compliance/audit?signed={signed.seq}")


@get("/compliance/audit/checkpoints.json", name="compliance-checkpoints-export", guards=[allow(*OFFICERS)])
async def checkpoints_export(now: NamedDependency[datetime]) -> Response[str]:
    """Every signed checkpoint and the public key, as ``GET /api/v1/audit/checkpoints`` gives them: keep
    the file outside the service (``python -m api audit-verify --checkpoints <file>`` reads it)."""
    export = CheckpointExport.of(audit.keys(), await audit.list_checkpoints())
    return Response(
        json.dumps(export.model_dump(mode="json"), indent=2) + "\n",
        media_type=MediaType.JSON,
        headers={"Content-Disposition": f'attachment; filename="audit-checkpoints-{now:%Y%m%dT%H%MZ}.json"'},
    )


@get("/compliance/audit/public-key.pem", name="compliance-public-key", guards=[allow(*OFFICERS)])
async def public_key_export() -> Response[str]:
    """The public key that verifies the checkpoints, as PEM."""
    keys = audit.keys()
    return Response(
        keys.public_key_pem,
        media_type="application/x-pem-file",
        headers={"Content-Disposition": f'attachment; filename="spareline-audit-{keys.key_id}.pem"'},
    )


ROUTES = [
    register,
    register_csv,
    record_page,
    custody_submit,
    destruction_submit,
    verification_submit,
    close_submit,
    certificate,
    audit_page,
    audit_verification,
    checkpoint_submit,
    checkpoints_export,
    public_key_export,
]
