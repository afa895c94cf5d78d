"""The reads the compliance screens need, on the demo's retention records and on both engines: the
register's ageing counted in the database agrees with the list, the export reads the same records a batch
at a time with their events, and the audit chain's last checkpoint and public key."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from itertools import product

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from api.pages.compliance import Filters
from inventory import audit, secure_media
from inventory.secure_media import RetentionState, age_bucket
from inventory.secure_media.register_export import COLUMNS, row_of

pytestmark = pytest.mark.usefixtures("client")

FILTERS = [
    Filters(customer, state, age, overdue)
    for customer, state, age, overdue in product(
        (None, "HSG"), (None, "retained", "closed"), (None, "31-90", "over 90"), (None, "yes", "no")
    )
]


@pytest.mark.parametrize("filters", [*FILTERS[::7], Filters(), Filters(overdue="yes")], ids=str)
async def test_the_ageing_counts_the_records_the_list_shows(filters: Filters) -> None:
    now = datetime.now(UTC)
    wanted = filters.service()
    listed = await secure_media.list_records(**wanted, viewer=None, now=now, limit=100, offset=0)
    counted = await secure_media.ageing(**wanted, viewer=None, now=now)
    expected = Counter((age_bucket(r.created_at, now), r.state, r.classification_level) for r in listed)
    assert {(c.bucket, c.state, c.classification_level): c.count for c in counted} == dict(expected)


async def test_the_ageing_of_the_demo() -> None:
    counted = await secure_media.ageing(
        state=None, customer=None, overdue=None, viewer=None, now=datetime.now(UTC)
    )
    by_bucket = Counter()
    for count in counted:
        by_bucket[count.bucket] += count.count
    assert by_bucket == {"0-7": 1, "8-30": 1, "31-90": 3, "over 90": 2}
    zhb = await secure_media.ageing(
        state=None, customer=None, overdue=None, viewer="ZHB", now=datetime.now(UTC)
    )
    assert {count.classification_level for count in zhb} == {"secret"}


async def test_the_export_reads_every_record_a_batch_at_a_time_with_its_events() -> None:
    now = datetime.now(UTC)
    wanted = Filters().service()
    listed = await secure_media.list_records(**wanted, viewer=None, now=now, limit=100, offset=0)
    exported, after = [], None
    while True:
        batch = await secure_media.export_records(**wanted, viewer=None, now=now, after=after, limit=2)
        exported += batch
        if len(batch) < 2:
            break
        after = (batch[-1].created_at, batch[-1].id)
    assert [record.id for record in exported] == [record.id for record in listed]
    closed = next(record for record in exported if record.state == RetentionState.CLOSED)
    assert [event.event for event in closed.events] == ["custody", "destruction", "verification", "close"]
    assert closed.timezone == "Asia/Shanghai"
    assert closed.site_name
    retained = await secure_media.export_records(
        **Filters(state="retained", customer="HSG").service(), viewer=None, now=now, after=None, limit=10
    )
    assert [(record.customer, record.state, record.events) for record in retained] == [
        ("HSG", "retained", [])
    ]


async def test_the_customers_who_keep_their_parts() -> None:
    assert [code for code, _name in await secure_media.retention_customers()] == ["HSG", "ZHB"]


async def test_the_last_checkpoint_and_the_first_covering_an_entry(client: httpx.AsyncClient) -> None:
    now = datetime.now(UTC)
    signed = await audit.create_checkpoint(now)
    last = await audit.last_checkpoint()
    assert last is not None
    assert (last.checkpoint, last.key_id) == (signed, audit.keys().key_id)
    assert await audit.first_checkpoint_covering(signed.seq) == signed
    assert await audit.first_checkpoint_covering(1) is not None
    assert await audit.first_checkpoint_covering(signed.seq + 1) is None


async def test_the_public_key_as_pem_and_its_fingerprint() -> None:
    keys = audit.keys()
    loaded = load_pem_public_key(keys.public_key_pem.encode())
    assert loaded.public_bytes_raw().hex() == keys.public_key_hex  # type: ignore[attr-defined]
    assert len(keys.fingerprint) == 64
    assert keys.fingerprint.startswith(keys.key_id)


async def test_a_record_as_a_csv_line() -> None:
    now = datetime.now(UTC)
    [verified] = await secure_media.export_records(
        **Filters(state="verified").service(), viewer=None, now=now, after=None, limit=10
    )
    line = dict(zip(COLUMNS, row_of(verified, now), strict=True))
    assert line["overdue"] == "no"
    assert line["destruction_records"] == 1
    assert line["retained_at"].endswith("+00:00")
    assert line["retained_at_local"].endswith("+08:00")
    assert line["destruction_performed_at_local"].endswith("+08:00")
    assert line["verification_result"] == "accepted"
    assert line["closed_at"] == ""
