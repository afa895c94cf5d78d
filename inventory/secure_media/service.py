"""Retention records: created when a secure part is issued for a retention customer, then custody,
destruction, verification and closing as append-only events, each also in the audit chain.

``viewer`` confines a customer user to its own company's records (NotFound for anything else).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from inventory.audit import log as audit
from inventory.audit.tables import AuditEntry
from inventory.audit_chain import canonical_json
from inventory.customers.tables import Customer
from inventory.errors import InvalidRequest, NotFound, NotPermitted
from inventory.persistence import current_store, write_transaction
from inventory.secure_media.proof import (
    CREATED,
    EVENT_PREFIX,
    StoredRecord,
    creation_payload,
    event_payload,
    subject,
)
from inventory.secure_media.rules import (
    AGE_BUCKETS,
    DestructionRecord,
    EventType,
    RetentionState,
    age_bucket,
    check_destruction,
    is_overdue,
    next_state,
)
from inventory.secure_media.tables import RetentionEvent, RetentionRecord
from inventory.stock.model import MovementKind, UnitStatus
from inventory.stock.positions import MovementEntry, record_movements
from inventory.stock.tables import Part, StockUnit
from inventory.tickets.tables import Ticket

WHO_MAY: dict[EventType, frozenset[str]] = {
    EventType.CUSTODY: frozenset({"warehouse", "dispatcher"}),
    EventType.DESTRUCTION: frozenset({"customer", "warehouse", "dispatcher"}),
    EventType.VERIFICATION: frozenset({"compliance"}),
    EventType.CLOSE: frozenset({"compliance"}),
}
"""Which roles may record which event (a customer only on its own records)."""


@dataclass(frozen=True, slots=True)
class AuditPosition:
    seq: int
    action: str
    hash: str


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    event: str
    details: dict[str, Any]
    actor: str
    actor_role: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class RetentionView:
    id: int
    ticket: int
    customer: str
    customer_name: str
    site: str
    site_name: str
    timezone: str
    """The site's time zone: the local time of the record's place."""
    asset_serial: str | None
    part_number: str
    failed_serial: str
    media_type: str
    classification_level: str
    custodian: str
    state: str
    overdue: bool
    age_days: int
    created_at: datetime
    created_by: str
    destruction_due: datetime
    events: list[EventView] = field(default_factory=list)
    audit: list[AuditPosition] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AgeingCount:
    """How many records of one age bucket (a label of `AGE_BUCKETS`) are in one state and classification."""

    bucket: str
    state: str
    classification_level: str
    count: int


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: datetime
    total: int
    by_state: dict[str, int]
    overdue: int
    undestroyed_by_age: dict[str, int]
    items: list[RetentionView]


async def retain_failed_unit(
    *, ticket_id: int, part_id: int, failed_serial: str, actor: str, now: datetime, destruction_days: int
) -> int:
    """Open a retention record for a failed unit that stays with the customer; call inside the issue's
    transaction. The failed unit shows as ``retained_by_customer`` in its traceability history."""
    ticket = (
        await Ticket.select(
            Ticket.customer,
            Ticket.site,
            Ticket.asset,
            Ticket.customer.code.as_alias("customer_code"),
            Ticket.customer.name.as_alias("customer_name"),
            Ticket.customer.classification_level.as_alias("classification_level"),
            Ticket.site.code.as_alias("site_code"),
            Ticket.site.name.as_alias("site_name"),
            Ticket.asset.serial.as_alias("asset_serial"),
        )
        .where(Ticket.id == ticket_id)
        .first()
    )
    part = await Part.select(Part.category, Part.part_number).where(Part.id == part_id).first()
    await _mark_unit_retained(part_id, failed_serial, ticket_id, actor, now)
    custodian = f"{ticket['customer_name']}, {ticket['site_name']}"
    due = now + timedelta(days=destruction_days)
    record_id = (
        await RetentionRecord.insert(
            RetentionRecord(
                ticket=ticket_id,
                customer=ticket["customer"],
                site=ticket["site"],
                asset=ticket["asset"],
                part=part_id,
                failed_serial=failed_serial,
                media_type=part["category"],
                classification_level=ticket["classification_level"],
                custodian=custodian,
                state=RetentionState.RETAINED.value,
                created_at=now,
                destruction_due=due,
                created_by=actor,
            )
        ).returning(RetentionRecord.id)
    )[0]["id"]
    stored = StoredRecord(
        id=record_id,
        ticket=ticket_id,
        customer=ticket["customer_code"],
        customer_name=ticket["customer_name"],
        site=ticket["site_code"],
        asset_serial=ticket["asset_serial"],
        part=part_id,
        part_number=part["part_number"],
        failed_serial=failed_serial,
        media_type=part["category"],
        classification_level=ticket["classification_level"],
        custodian=custodian,
        state=RetentionState.RETAINED.value,
        created_at=now,
        destruction_due=due,
        created_by=actor,
    )
    await audit.append(
        CREATED,
        subject(record_id),
        creation_payload(stored, due_days=destruction_days),
        actor=actor,
        at=now,
    )
    return record_id


async def record_event(
    record_id: int,
    event: EventType,
    details: dict[str, Any],
    *,
    actor: str,
    role: str,
    now: datetime,
    viewer: str | None,
) -> RetentionView:
    """Add a custody, destruction, verification or close event.

    Raises:
        NotFound: no such record, or not the viewer's.
        NotPermitted: the role may not record this event.
        InvalidTransition: the event is impossible in the record's state.
        InvalidRequest: incomplete or incoherent details (e.g. the validator is the performer).
    """
    if role not in WHO_MAY[event]:
        raise NotPermitted(f"the {role} role may not record a {event} event", allowed=sorted(WHO_MAY[event]))
    async with write_transaction():
        record = await _lock(record_id, viewer)
        state = RetentionState(record["state"])
        clean = await _checked_details(record, event, details, actor=actor, now=now)
        target = next_state(state, event, clean)
        event_id = (
            await RetentionEvent.insert(
                RetentionEvent(
                    record=record_id,
                    event=event.value,
                    details=canonical_json(clean),
                    actor=actor,
                    actor_role=role,
                    recorded_at=now,
                )
            ).returning(RetentionEvent.id)
        )[0]["id"]
        if target is not state:
            await RetentionRecord.update({RetentionRecord.state: target.value}).where(
                RetentionRecord.id == record_id
            )
        await audit.append(
            f"{EVENT_PREFIX}{event.value}",
            subject(record_id),
            event_payload(event_id, clean, from_state=state.value, to_state=target.value, role=role),
            actor=actor,
            at=now,
        )
        await audit.link_now()  # the answer shows the event's place in the chain
    return await get_record(record_id, viewer=viewer, now=now)


async def get_record(record_id: int, *, viewer: str | None, now: datetime) -> RetentionView:
    """One record with its events and the audit chain entries that prove them.

    Raises:
        NotFound: no such record, or not the viewer's.
    """
    views = await _views([RetentionRecord.id == record_id], viewer, now, limit=1, offset=0)
    if not views:
        raise NotFound(f"retention record {record_id} not found")
    view = views[0]
    positions = (
        await AuditEntry.select(AuditEntry.seq, AuditEntry.action, AuditEntry.hash)
        .where(AuditEntry.subject == subject(record_id))
        .order_by(AuditEntry.seq)
    )
    return replace(
        view,
        events=(await _events_of([record_id])).get(record_id, []),
        audit=[AuditPosition(p["seq"], p["action"], p["hash"]) for p in positions],
    )


async def list_records(
    *,
    state: RetentionState | None,
    customer: str | None,
    overdue: bool | None,
    viewer: str | None,
    now: datetime,
    limit: int,
    offset: int,
    min_age_days: int | None = None,
    max_age_days: int | None = None,
) -> list[RetentionView]:
    """Records, oldest first, filtered by state, customer, age in whole days and whether overdue."""
    conditions = _filters(state, customer, overdue, min_age_days, max_age_days, now)
    return await _views(conditions, viewer, now, limit=limit, offset=offset)


async def ageing(
    *,
    state: RetentionState | None,
    customer: str | None,
    overdue: bool | None,
    viewer: str | None,
    now: datetime,
    min_age_days: int | None = None,
    max_age_days: int | None = None,
) -> list[AgeingCount]:
    """The records that `list_records` selects with the same filters, counted by age bucket
    (`AGE_BUCKETS`), state and classification: one grouped count per bucket, in the database."""
    conditions = _filters(state, customer, overdue, min_age_days, max_age_days, now)
    counts: list[AgeingCount] = []
    for label, low, high in AGE_BUCKETS:
        query = (
            RetentionRecord.select(
                RetentionRecord.state, RetentionRecord.classification_level, Count(alias="count")
            )
            .where(RetentionRecord.created_at <= now - timedelta(days=low))
            .group_by(RetentionRecord.state, RetentionRecord.classification_level)
        )
        if high is not None:
            query = query.where(RetentionRecord.created_at > now - timedelta(days=high + 1))
        for condition in conditions:
            query = query.where(condition)
        if viewer is not None:
            query = query.where(RetentionRecord.customer.code == viewer)
        counts += [
            AgeingCount(label, row["state"], row["classification_level"], row["count"]) for row in await query
        ]
    return counts


async def export_records(
    *,
    state: RetentionState | None,
    customer: str | None,
    overdue: bool | None,
    viewer: str | None,
    now: datetime,
    after: tuple[datetime, int] | None,
    limit: int,
    min_age_days: int | None = None,
    max_age_days: int | None = None,
) -> list[RetentionView]:
    """The next ``limit`` records that `list_records` selects, in its order, after the record ``after``
    (its ``created_at`` and id; None: from the first), each with its events: two queries a batch, so that
    a whole register can be exported a batch at a time."""
    conditions = _filters(state, customer, overdue, min_age_days, max_age_days, now)
    if after is not None:
        at, record_id = after
        conditions.append(
            (RetentionRecord.created_at > at)
            | ((RetentionRecord.created_at == at) & (RetentionRecord.id > record_id))
        )
    views = await _views(conditions, viewer, now, limit=limit, offset=0)
    events = await _events_of([view.id for view in views])
    return [replace(view, events=events.get(view.id, [])) for view in views]


async def retention_customers() -> list[tuple[str, str]]:
    """The customers who keep their failed secure parts: code and name, by code."""
    rows = (
        await Customer.select(Customer.code, Customer.name)
        .where(Customer.secure_media_retention.eq(True))
        .order_by(Customer.code)
    )
    return [(row["code"], row["name"]) for row in rows]


async def report(*, customer: str | None, viewer: str | None, now: datetime, limit: int) -> Report:
    """Totals by state, overdue count and the ageing of undestroyed parts, with the records themselves."""
    conditions = [RetentionRecord.customer.code == customer] if customer is not None else []
    items = await _views(conditions, viewer, now, limit=limit, offset=0)
    undestroyed = [item for item in items if item.state == RetentionState.RETAINED]
    ages = Counter(age_bucket(item.created_at, now) for item in undestroyed)
    return Report(
        generated_at=now,
        total=len(items),
        by_state={state.value: sum(item.state == state for item in items) for state in RetentionState},
        overdue=sum(item.overdue for item in items),
        undestroyed_by_age={label: ages.get(label, 0) for label, _low, _high in AGE_BUCKETS},
        items=items,
    )


def _filters(
    state: RetentionState | None,
    customer: str | None,
    overdue: bool | None,
    min_age_days: int | None,
    max_age_days: int | None,
    now: datetime,
) -> list[Any]:
    """The conditions of the register's filters (age in whole days since the record was created)."""
    conditions: list[Any] = []
    if min_age_days is not None:
        conditions.append(RetentionRecord.created_at <= now - timedelta(days=min_age_days))
    if max_age_days is not None:
        conditions.append(RetentionRecord.created_at > now - timedelta(days=max_age_days + 1))
    if state is not None:
        conditions.append(RetentionRecord.state == state.value)
    if customer is not None:
        conditions.append(RetentionRecord.customer.code == customer)
    if overdue is True:
        conditions += [
            RetentionRecord.state == RetentionState.RETAINED.value,
            RetentionRecord.destruction_due < now,
        ]
    elif overdue is False:
        conditions.append(
            (RetentionRecord.state != RetentionState.RETAINED.value)
            | (RetentionRecord.destruction_due >= now)
        )
    return conditions


async def _views(
    conditions: list, viewer: str | None, now: datetime, *, limit: int, offset: int
) -> list[RetentionView]:
    query = (
        RetentionRecord.select(
            RetentionRecord.id,
            RetentionRecord.ticket,
            RetentionRecord.customer.code.as_alias("customer"),
            RetentionRecord.customer.name.as_alias("customer_name"),
            RetentionRecord.site.code.as_alias("site"),
            RetentionRecord.site.name.as_alias("site_name"),
            RetentionRecord.site.timezone.as_alias("timezone"),
            RetentionRecord.asset.serial.as_alias("asset_serial"),
            RetentionRecord.part.part_number.as_alias("part_number"),
            RetentionRecord.failed_serial,
            RetentionRecord.media_type,
            RetentionRecord.classification_level,
            RetentionRecord.custodian,
            RetentionRecord.state,
            RetentionRecord.created_at,
            RetentionRecord.created_by,
            RetentionRecord.destruction_due,
        )
        .order_by(RetentionRecord.created_at)
        .order_by(RetentionRecord.id)
    )
    for condition in conditions:
        query = query.where(condition)
    if viewer is not None:
        query = query.where(RetentionRecord.customer.code == viewer)
    rows = await query.limit(limit).offset(offset)
    return [
        RetentionView(
            **row,
            overdue=is_overdue(RetentionState(row["state"]), row["destruction_due"], now),
            age_days=(now - row["created_at"]).days,
        )
        for row in rows
    ]


async def _events_of(record_ids: list[int]) -> dict[int, list[EventView]]:
    """The events of the records ``record_ids``, each record's in the order they were recorded."""
    if not record_ids:
        return {}
    rows = (
        await RetentionEvent.select()
        .where(RetentionEvent.record.is_in(record_ids))
        .order_by(RetentionEvent.id)
    )
    events: dict[int, list[EventView]] = defaultdict(list)
    for e in rows:
        events[e["record"]].append(
            EventView(
                e["id"], e["event"], json.loads(e["details"]), e["actor"], e["actor_role"], e["recorded_at"]
            )
        )
    return events


async def _lock(record_id: int, viewer: str | None) -> dict:
    query = RetentionRecord.select(RetentionRecord.id, RetentionRecord.state).where(
        RetentionRecord.id == record_id
    )
    if viewer is not None:
        query = query.where(RetentionRecord.customer.code == viewer)
    if await query.first() is None:
        raise NotFound(f"retention record {record_id} not found")
    await current_store().lock_retention_record(record_id)
    return (
        await RetentionRecord.select(RetentionRecord.id, RetentionRecord.state, RetentionRecord.created_at)
        .where(RetentionRecord.id == record_id)
        .first()
    )


async def _checked_details(
    record: dict, event: EventType, details: dict[str, Any], *, actor: str, now: datetime
) -> dict[str, Any]:
    record_id = record["id"]
    corrects = details.get("corrects")
    if corrects is not None and not await RetentionEvent.exists().where(
        (RetentionEvent.id == corrects) & (RetentionEvent.record == record_id)
    ):
        raise InvalidRequest(f"event {corrects} of this record does not exist", field="corrects")
    if event is EventType.DESTRUCTION:
        fields = {name: details.get(name) for name in DestructionRecord.__slots__}
        try:
            destroyed = DestructionRecord(**fields)  # type: ignore[arg-type]
        except TypeError as exc:
            raise InvalidRequest("incomplete destruction record", field="destruction") from exc
        check_destruction(destroyed, now=now)
        if destroyed.performed_at < record["created_at"]:
            raise InvalidRequest("the part was destroyed before it was retained", field="performed_at")
    if event is EventType.VERIFICATION:
        destruction = (
            await RetentionEvent.select(RetentionEvent.details)
            .where(
                (RetentionEvent.record == record_id) & (RetentionEvent.event == EventType.DESTRUCTION.value)
            )
            .order_by(RetentionEvent.id, ascending=False)
            .first()
        )
        if destruction is not None:
            done = json.loads(destruction["details"])
            if actor in {done.get("performed_by"), done.get("validated_by")}:
                raise InvalidRequest("the verifier cannot be the performer or validator", field="actor")
    return details


async def _mark_unit_retained(part_id: int, serial: str, ticket_id: int, actor: str, now: datetime) -> None:
    """The failed unit's traceability: known units move to ``retained_by_customer``; a unit we never
    stocked (it came with the product) gets a row so that its history starts here."""
    unit = (
        await StockUnit.select(StockUnit.id, StockUnit.status, StockUnit.batch_number)
        .where((StockUnit.part == part_id) & (StockUnit.serial == serial))
        .first()
    )
    if unit is not None and unit["status"] not in {UnitStatus.ISSUED, UnitStatus.RETAINED_BY_CUSTOMER}:
        raise InvalidRequest(
            f"failed unit {serial} is {unit['status']} in stock, not in the field", field="failed_serial"
        )
    if unit is None:
        unit_id = (
            await StockUnit.insert(
                StockUnit(
                    part=part_id,
                    serial=serial,
                    box_number="",
                    batch_number="",
                    depot=None,
                    status=UnitStatus.RETAINED_BY_CUSTOMER.value,
                    received_at=now,
                    updated_at=now,
                )
            ).returning(StockUnit.id)
        )[0]["id"]
        batch, previous = "", None
    else:
        unit_id, batch, previous = unit["id"], unit["batch_number"], unit["status"]
        await StockUnit.update(
            {StockUnit.status: UnitStatus.RETAINED_BY_CUSTOMER.value, StockUnit.updated_at: now}
        ).where(StockUnit.id == unit_id)
    await record_movements(
        [
            MovementEntry(
                MovementKind.STATUS_CHANGE,
                part_id,
                batch,
                1,
                None,
                previous,
                None,
                UnitStatus.RETAINED_BY_CUSTOMER,
                unit_id=unit_id,
            )
        ],
        actor=actor,
        now=now,
        reason="failed data-bearing unit kept by the customer for destruction under record",
        reference=f"ticket:{ticket_id}",
    )
