"""Retention records: created when a secure part is issued (kept by a retention customer, or returned to
the depot), then custody, destruction, verification, closing and documents as append-only events, each
also in the audit chain.

``viewer`` confines a customer user to its own company's records (NotFound for anything else).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from inventory.audit import log as audit
from inventory.audit.tables import AuditEntry
from inventory.audit_chain import canonical_json
from inventory.customers.tables import Customer
from inventory.errors import InvalidRequest, NotFound, NotPermitted
from inventory.persistence import current_store, write_transaction
from inventory.secure_media.policies import policy_of
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
    WHO_MAY,
    Custody,
    DestructionRecord,
    EventType,
    RetentionState,
    Sanitization,
    SanitizationMethod,
    age_bucket,
    check_destruction,
    check_policy,
    ensure_may_arrive_as_stock,
    ensure_may_leave_quarantine,
    is_overdue,
    next_state,
)
from inventory.secure_media.tables import RetentionDocument, RetentionEvent, RetentionRecord
from inventory.secure_media.views import (
    AgeingCount,
    AuditPosition,
    DocumentView,
    EventView,
    Report,
    RetentionView,
)
from inventory.stock.model import MovementKind, UnitStatus
from inventory.stock.positions import MovementEntry, record_movements
from inventory.stock.tables import Depot, Part, StockUnit
from inventory.tickets.tables import Ticket


async def retain_failed_unit(
    *, ticket_id: int, part_id: int, failed_serial: str, actor: str, now: datetime, destruction_days: int
) -> int:
    """Open a retention record for a failed unit that stays with the customer; call inside the issue's
    transaction. The failed unit shows as ``retained_by_customer`` in its traceability history."""
    await _mark_unit_retained(part_id, failed_serial, ticket_id, actor, now)
    return await _open_record(
        Custody.CUSTOMER,
        ticket_id=ticket_id,
        part_id=part_id,
        depot_id=None,
        failed_serial=failed_serial,
        actor=actor,
        now=now,
        destruction_days=destruction_days,
    )


async def track_returned_unit(
    *,
    ticket_id: int,
    part_id: int,
    depot_id: int,
    failed_serial: str,
    actor: str,
    now: datetime,
    destruction_days: int,
) -> int:
    """Open a depot-custody record for a failed secure unit that goes back to the depot ``depot_id``
    (a customer who does not keep such parts); call inside the issue's transaction. From then on the unit
    cannot leave quarantine for reuse, a vendor return or scrap before its sanitization is verified
    (`ensure_sanitized`)."""
    return await _open_record(
        Custody.DEPOT,
        ticket_id=ticket_id,
        part_id=part_id,
        depot_id=depot_id,
        failed_serial=failed_serial,
        actor=actor,
        now=now,
        destruction_days=destruction_days,
    )


async def _open_record(
    custody: Custody,
    *,
    ticket_id: int,
    part_id: int,
    depot_id: int | None,
    failed_serial: str,
    actor: str,
    now: datetime,
    destruction_days: int,
) -> int:
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
    depot = None
    if depot_id is not None:
        depot = await Depot.select(Depot.code, Depot.name).where(Depot.id == depot_id).first()
        custodian = f"returning to depot {depot['code']} ({depot['name']})"
    else:
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
                custody=custody.value,
                depot=depot_id,
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
        custody=custody.value,
        depot=None if depot is None else depot["code"],
    )
    await audit.append(
        CREATED,
        subject(record_id),
        creation_payload(stored, due_days=destruction_days),
        actor=actor,
        at=now,
    )
    return record_id


async def ensure_sanitized(part_id: int, serial: str, *, current: UnitStatus, target: UnitStatus) -> None:
    """Refuse (`SanitizationRequired`, 409) to move the unit ``serial`` of part ``part_id`` from
    ``current`` to ``target`` if it is returned secure media leaving quarantine before its sanitization
    record is verified (`rules.ensure_may_leave_quarantine`). Call it in the transaction of the change,
    from every path that takes a unit out of quarantine or defective stock."""
    if records := await _sanitizations(part_id, serial):
        ensure_may_leave_quarantine(serial, current, target, records)


async def ensure_not_delivered(part_id: int, serial: str) -> None:
    """Refuse (`SanitizationRequired`, 409) to book the unit ``serial`` of part ``part_id`` in as a
    supplier's delivery if it is returned secure media not yet sanitized, or destroyed
    (`rules.ensure_may_arrive_as_stock`). Call it in the transaction of the receipt."""
    if records := await _sanitizations(part_id, serial):
        ensure_may_arrive_as_stock(serial, records)


async def _sanitizations(part_id: int, serial: str) -> list[Sanitization]:
    """The depot-custody records of the unit ``serial`` of part ``part_id``: state and latest method."""
    rows = (
        await RetentionRecord.select(RetentionRecord.id, RetentionRecord.state)
        .where(
            (RetentionRecord.part == part_id)
            & (RetentionRecord.failed_serial == serial)
            & (RetentionRecord.custody == Custody.DEPOT.value)
        )
        .order_by(RetentionRecord.id)
    )
    if not rows:
        return []
    events = await _events_of([row["id"] for row in rows])
    records = []
    for row in rows:
        destruction = next(
            (e for e in reversed(events.get(row["id"], [])) if e.event == EventType.DESTRUCTION), None
        )
        method = None if destruction is None else SanitizationMethod(destruction.details["method"])
        records.append(Sanitization(row["id"], RetentionState(row["state"]), method))
    return records


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
        NotPermitted: the role may not record this event (for the record's custody).
        InvalidTransition: the event is impossible in the record's state.
        InvalidRequest: incomplete or incoherent details (e.g. the validator is the performer).
        PolicyViolated: a destruction by a method or technique the record's policy does not allow.
    """
    async with write_transaction():
        await append_event(record_id, event, details, actor=actor, role=role, now=now, viewer=viewer)
        await audit.link_now()  # the answer shows the event's place in the chain
    return await get_record(record_id, viewer=viewer, now=now)


async def append_event(
    record_id: int,
    event: EventType,
    details: dict[str, Any],
    *,
    actor: str,
    role: str,
    now: datetime,
    viewer: str | None,
) -> int:
    """`record_event` inside the caller's write transaction, without reading the record back: the new
    event's id."""
    anywhere = frozenset().union(*(roles[event] for roles in WHO_MAY.values()))
    if role not in anywhere:
        raise NotPermitted(f"the {role} role may not record a {event} event", allowed=sorted(anywhere))
    async with write_transaction():
        record = await _lock(record_id, viewer)
        allowed = WHO_MAY[Custody(record["custody"])][event]
        if role not in allowed:
            raise NotPermitted(
                f"the {role} role may not record a {event} event on a record in {record['custody']} custody",
                allowed=sorted(allowed),
            )
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
    return event_id


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
        documents=(await documents_of([record_id])).get(record_id, []),
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
    custody: Custody | None = None,
    retained_from: datetime | None = None,
    retained_to: datetime | None = None,
) -> list[RetentionView]:
    """Records, oldest first, filtered by state, customer, age in whole days and whether overdue."""
    conditions = _filters(state, customer, overdue, min_age_days, max_age_days, now)
    conditions += _more_filters(custody, retained_from, retained_to)
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
    custody: Custody | None = None,
    retained_from: datetime | None = None,
    retained_to: datetime | None = None,
) -> list[AgeingCount]:
    """The records that `list_records` selects with the same filters, counted by age bucket
    (`AGE_BUCKETS`), state and classification: one grouped count per bucket, in the database."""
    conditions = _filters(state, customer, overdue, min_age_days, max_age_days, now)
    conditions += _more_filters(custody, retained_from, retained_to)
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
    custody: Custody | None = None,
    retained_from: datetime | None = None,
    retained_to: datetime | None = None,
) -> list[RetentionView]:
    """The next ``limit`` records that `list_records` selects, in its order, after the record ``after``
    (its ``created_at`` and id; None: from the first), each with its events: two queries a batch, so that
    a whole register can be exported a batch at a time."""
    conditions = _filters(state, customer, overdue, min_age_days, max_age_days, now)
    conditions += _more_filters(custody, retained_from, retained_to)
    if after is not None:
        at, record_id = after
        conditions.append(
            (RetentionRecord.created_at > at)
            | ((RetentionRecord.created_at == at) & (RetentionRecord.id > record_id))
        )
    views = await _views(conditions, viewer, now, limit=limit, offset=0)
    ids = [view.id for view in views]
    events, documents = await _events_of(ids), await documents_of(ids)
    return [
        replace(view, events=events.get(view.id, []), documents=documents.get(view.id, [])) for view in views
    ]


async def retention_customers() -> list[tuple[str, str]]:
    """The customers whose failed secure parts are on record or kept by them: code and name, by code."""
    with_records = {
        row["customer"] for row in await RetentionRecord.select(RetentionRecord.customer).distinct()
    }
    rows = await Customer.select(Customer.id, Customer.code, Customer.name, Customer.secure_media_retention)
    chosen = [row for row in rows if row["secure_media_retention"] or row["id"] in with_records]
    return sorted((row["code"], row["name"]) for row in chosen)


async def report(
    *,
    customer: str | None,
    viewer: str | None,
    now: datetime,
    limit: int,
    state: RetentionState | None = None,
    custody: Custody | None = None,
    retained_from: datetime | None = None,
    retained_to: datetime | None = None,
    whole: bool = False,
) -> Report:
    """Totals by state, overdue count and the ageing of undestroyed parts, with the records themselves,
    each with its events, documents and audit chain entries: the first ``limit`` records, or with
    ``whole`` every record (an auditor's report is never cut short).

    Raises:
        InvalidRequest: with ``whole``, more than ``limit`` records match (ask for a shorter period).
    """
    conditions = _filters(state, customer, None, None, None, now)
    conditions += _more_filters(custody, retained_from, retained_to)
    views = await _views(conditions, viewer, now, limit=limit + 1 if whole else limit, offset=0)
    if whole and len(views) > limit:
        raise InvalidRequest(
            f"more than {limit} records match: ask for a shorter period or fewer customers", field="from"
        )
    items = await complete(views)
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


async def complete(views: list[RetentionView], *, batch: int = 500) -> list[RetentionView]:
    """The records ``views`` with their events, documents and audit chain positions: three queries a
    batch of ``batch`` records."""
    done: list[RetentionView] = []
    for start in range(0, len(views), batch):
        chunk = views[start : start + batch]
        ids = [view.id for view in chunk]
        events, documents = await _events_of(ids), await documents_of(ids)
        positions: dict[str, list[AuditPosition]] = defaultdict(list)
        rows = (
            await AuditEntry.select(AuditEntry.seq, AuditEntry.action, AuditEntry.hash, AuditEntry.subject)
            .where(AuditEntry.subject.is_in([subject(record_id) for record_id in ids]))
            .order_by(AuditEntry.seq)
        )
        for row in rows:
            positions[row["subject"]].append(AuditPosition(row["seq"], row["action"], row["hash"]))
        done += [
            replace(
                view,
                events=events.get(view.id, []),
                documents=documents.get(view.id, []),
                audit=positions.get(subject(view.id), []),
            )
            for view in chunk
        ]
    return done


def _more_filters(
    custody: Custody | None, retained_from: datetime | None, retained_to: datetime | None
) -> list[Any]:
    """The conditions of custody and of the period the records were opened in (``retained_to`` excluded)."""
    conditions: list[Any] = []
    if custody is not None:
        conditions.append(RetentionRecord.custody == custody.value)
    if retained_from is not None:
        conditions.append(RetentionRecord.created_at >= retained_from)
    if retained_to is not None:
        conditions.append(RetentionRecord.created_at < retained_to)
    return conditions


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
            RetentionRecord.custody,
            RetentionRecord.depot.code.as_alias("depot"),
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
        await RetentionRecord.select(
            RetentionRecord.id,
            RetentionRecord.state,
            RetentionRecord.created_at,
            RetentionRecord.custody,
            RetentionRecord.classification_level,
            RetentionRecord.media_type,
        )
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
        details = dict(details)
        if not details.get("certificate_sha256"):
            details["certificate_sha256"] = await _latest_document_sha256(record_id)
        fields = {name: details.get(name) for name in DestructionRecord.__slots__}
        try:
            destroyed = DestructionRecord(**fields)  # type: ignore[arg-type]
        except TypeError as exc:
            raise InvalidRequest("incomplete destruction record", field="destruction") from exc
        check_destruction(destroyed, now=now)
        if destroyed.performed_at < record["created_at"]:
            raise InvalidRequest("the part was destroyed before it was retained", field="performed_at")
        policy = await policy_of(record["classification_level"], record["media_type"])
        check_policy(policy, destroyed.method, destroyed.technique)
        details["policy"] = (
            None
            if policy is None
            else {
                "name": policy.name,
                "methods": sorted(policy.methods),
                "techniques": sorted(policy.techniques),
            }
        )
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


async def _latest_document_sha256(record_id: int) -> str:
    """The SHA-256 of the record's latest uploaded document, for a destruction record that gives none."""
    latest = (
        await RetentionDocument.select(RetentionDocument.sha256)
        .where(RetentionDocument.record == record_id)
        .order_by(RetentionDocument.id, ascending=False)
        .first()
    )
    if latest is None:
        raise InvalidRequest(
            "upload the signed certificate first, or give its certificate_sha256", field="certificate_sha256"
        )
    return latest["sha256"]


async def documents_of(record_ids: list[int]) -> dict[int, list[DocumentView]]:
    """The documents of the records ``record_ids``, each record's in upload order."""
    if not record_ids:
        return {}
    rows = (
        await RetentionDocument.select(
            RetentionDocument.id,
            RetentionDocument.record,
            RetentionDocument.event,
            RetentionDocument.filename,
            RetentionDocument.content_type,
            RetentionDocument.size_bytes,
            RetentionDocument.sha256,
            RetentionDocument.uploaded_by,
            RetentionDocument.uploaded_at,
        )
        .where(RetentionDocument.record.is_in(record_ids))
        .order_by(RetentionDocument.id)
    )
    documents: dict[int, list[DocumentView]] = defaultdict(list)
    for row in rows:
        documents[row.pop("record")].append(DocumentView(**row))
    return documents


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
