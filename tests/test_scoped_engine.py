"""What `inventory.persistence.scoped_engine` relies on in Piccolo, checked against the installed version:
a table reaches its engine only through ``_meta.db`` and the attributes of Piccolo's ``Engine``, each of
which `ScopedEngine` answers with the engine of the store in use; so every kind of query runs on the
database of the store in use, and none runs outside one."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import piccolo
import pytest
from piccolo.engine.base import Engine

from api.database import all_tables
from inventory.persistence import (
    SCOPED_ENGINE,
    NoStoreInUse,
    create_engine,
    serving,
    store_for,
    using_store,
    write_transaction,
)
from inventory.persistence.scoped_engine import ScopedEngine
from inventory.stock.tables import Depot

RELIED_ON = (
    f"the installed Piccolo ({piccolo.__VERSION__}) no longer reaches a table's engine as "
    "inventory/persistence/scoped_engine.py relies on: see its docstring"
)
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_every_attribute_of_piccolos_engine_is_answered_by_the_engine_in_use():
    relied_on = {name for name in dir(Engine) if not name.startswith("__") and name not in {"_abc_impl"}}
    relied_on -= {"_is_protocol"}  # typing's marker on Generic classes, not an engine attribute
    forwarded = set(vars(ScopedEngine))
    missing = sorted(relied_on - forwarded)
    assert not missing, f"Engine has {missing}, which ScopedEngine does not forward: {RELIED_ON}"
    assert Engine.__abstractmethods__ <= forwarded, RELIED_ON


def test_every_table_of_the_service_runs_on_the_scoped_engine():
    assert {table._meta.tablename for table in all_tables() if table._meta.db is not SCOPED_ENGINE} == set()


def depot(code: str) -> Depot:
    return Depot(code=code, name=code, kind="central", latitude=0, longitude=0, timezone="UTC", created_at=T0)


async def every_kind_of_query(code: str) -> dict[str, object]:
    """Insert, update, select, raw, count, exists, objects and delete, in and out of a write transaction."""
    async with write_transaction():
        await Depot.insert(depot(code))
        await Depot.update({Depot.name: f"{code} depot"}).where(Depot.code == code)
    seen = {
        "names": [row["name"] for row in await Depot.select(Depot.name)],
        "raw": [row["code"] for row in await Depot.raw("SELECT code FROM depot")],
        "count": await Depot.count(),
        "exists": await Depot.exists().where(Depot.code == code),
        "object": (await Depot.objects().get(Depot.code == code)).name,
    }
    await asyncio.sleep(0)  # let the other store's queries interleave
    await Depot.delete().where(Depot.code == code)
    seen["after_delete"] = await Depot.count()
    return seen


async def test_queries_run_on_the_database_of_the_store_in_use(database_url, tmp_path: Path, sqlite_template):
    other = tmp_path / "other.sqlite3"
    shutil.copyfile(sqlite_template, other)
    first = store_for(create_engine(database_url, busy_timeout_s=5.0, create_missing=False))
    second = store_for(create_engine(f"sqlite:///{other}", busy_timeout_s=5.0, create_missing=False))

    async def on(store, code: str) -> dict[str, object]:
        with using_store(store):
            return await every_kind_of_query(code)

    async with (
        serving(first.engine, pool_min_size=1, pool_max_size=2),
        serving(second.engine, pool_min_size=1, pool_max_size=2),
    ):
        seen = await asyncio.gather(on(first, "FIRST"), on(second, "SECOND"))

    for code, answer in zip(("FIRST", "SECOND"), seen, strict=True):
        expected = {
            "names": [f"{code} depot"],
            "raw": [code],
            "count": 1,
            "exists": True,
            "object": f"{code} depot",
            "after_delete": 0,
        }
        assert answer == expected, RELIED_ON


async def test_outside_any_store_no_query_runs():
    with pytest.raises(NoStoreInUse):
        await Depot.count()
    with pytest.raises(NoStoreInUse):
        await Depot.select()
