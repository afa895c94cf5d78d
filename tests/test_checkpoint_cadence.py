"""Signed checkpoints on a cadence, by entries and by time, on both engines; the development keys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from api.app import create_app
from api.domain_context import domain_context
from api.settings import DEVELOPMENT_SECRET, Settings
from api.sweeper import sweep_once
from inventory.audit import log as audit
from tests.conftest import test_settings

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


async def append(count: int, at: datetime = T0) -> None:
    for n in range(count):
        await audit.append("test.event", f"thing:{n}", {"n": n}, actor="tester", at=at)


async def test_a_checkpoint_is_due_every_so_many_entries(app):
    await append(2)
    assert await audit.checkpoint_if_due(T0, every_entries=3) is None
    await append(1)
    signed = await audit.checkpoint_if_due(T0, every_entries=3)
    assert signed is not None
    assert signed.seq == 3
    await append(2)
    assert await audit.checkpoint_if_due(T0, every_entries=3) is None
    assert [c.seq for c in await audit.list_checkpoints()] == [3]


async def test_a_checkpoint_is_due_when_the_oldest_uncovered_entry_is_old_enough(app):
    assert (
        await audit.checkpoint_if_due(T0 + timedelta(days=1), every_entries=1_000, every_seconds=60) is None
    )
    await append(1, at=T0)
    await audit.create_checkpoint(T0)
    await append(1, at=T0 + timedelta(minutes=5))
    await append(1, at=T0 + timedelta(minutes=30))
    early = T0 + timedelta(minutes=5, seconds=3599)
    assert await audit.checkpoint_if_due(early, every_entries=1_000, every_seconds=3600) is None
    assert await audit.checkpoint_if_due(early + timedelta(days=1), every_entries=1_000) is None, "time off"
    signed = await audit.checkpoint_if_due(
        early + timedelta(seconds=1), every_entries=1_000, every_seconds=3600
    )
    assert signed is not None
    assert signed.seq == 3
    later = T0 + timedelta(days=2)
    assert await audit.checkpoint_if_due(later, every_entries=1_000, every_seconds=3600) is None, (
        "nothing new"
    )
    assert (await audit.verify_chain()).checkpoints_checked == 2


async def test_the_sweep_checkpoints_on_its_cadence(app):
    await append(2)
    result = await sweep_once(T0, checkpoint_every_entries=5, checkpoint_every_seconds=0)
    assert result.checkpoint_seq is None
    result = await sweep_once(
        T0 + timedelta(hours=2), checkpoint_every_entries=5, checkpoint_every_seconds=3600
    )
    assert result.checkpoint_seq == 2


async def test_the_background_sweep_takes_its_cadence_from_the_settings(database_url):
    settings = test_settings(
        database_url,
        sweep_interval_s=0.01,
        audit_checkpoint_every_entries=2,
        audit_checkpoint_every_seconds=0,
        background="in-process",  # the default on SQLite; PostgreSQL's is the job queue's workers
    )
    app = create_app(settings)
    with domain_context(app).entered():
        async with app.lifespan():
            await append(2, at=datetime.now(UTC))
            for _ in range(3_000):
                if await audit.list_checkpoints():
                    break
                await asyncio.sleep(0.01)
        assert [c.seq for c in await audit.list_checkpoints()] == [2]


def test_the_development_secret_gives_the_development_keys(monkeypatch):
    for name in ("SECRET_KEY", "AUDIT_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert Settings(_env_file=None).audit_keys().development is True
    assert Settings(_env_file=None, secret_key=DEVELOPMENT_SECRET).audit_keys().development is True
    assert Settings(_env_file=None, secret_key="s" * 40).audit_keys().development is False
    configured = Settings(_env_file=None, audit_signing_key="ab" * 32)
    assert configured.audit_keys().development is False


def test_the_checkpoint_cadence_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("AUDIT_CHECKPOINT_EVERY_ENTRIES", "250")
    monkeypatch.setenv("AUDIT_CHECKPOINT_EVERY_SECONDS", "900")
    settings = Settings(_env_file=None)
    assert (settings.audit_checkpoint_every_entries, settings.audit_checkpoint_every_seconds) == (250, 900)
