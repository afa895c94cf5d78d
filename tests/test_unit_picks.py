"""Taking units from a level: the oldest go first, never more than the level holds, and on PostgreSQL a
pick that waited for another writer of the level does not take a unit that writer already moved."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest

from inventory.errors import InsufficientStock
from inventory.persistence import write_transaction
from inventory.stock import receipts
from inventory.stock.catalogue import create_depot, create_part
from inventory.stock.model import ReceiptLine, ReceivedUnit, UnitStatus
from inventory.stock.positions import take_oldest_units
from inventory.stock.records import DepotRecord, PartRecord
from inventory.stock.tables import Depot, Part, StockLevel, StockUnit
from tests.conftest import in_domain, test_settings

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
SERIALS = ("S1", "S2", "S3")


async def stocked() -> tuple[int, int]:
    """A depot holding three units of one part, received in serial order; ``(part id, depot id)``."""
    await create_depot(DepotRecord("A", "A", "central", 30.0, 120.0, "Asia/Shanghai"), now=NOW)
    await create_part(PartRecord("DISK", "disk", "c", True, False, 1, 1.0, 1.0), now=NOW)
    units = tuple(ReceivedUnit(serial, f"BOX-{serial}", "B1") for serial in SERIALS)
    line = ReceiptLine("DISK", None, None, units)
    await receipts.receive_stock(depot="A", supplier="s", reference="r", lines=[line], actor="t", now=NOW)
    part = await Part.select(Part.id).where(Part.part_number == "DISK").first()
    depot = await Depot.select(Depot.id).where(Depot.code == "A").first()
    return part["id"], depot["id"]


async def take(part: int, depot: int, quantity: int) -> list[str]:
    async with write_transaction():
        moved = await take_oldest_units(
            part, depot, UnitStatus.AVAILABLE, quantity, to_status=UnitStatus.RESERVED, now=NOW
        )
    return [unit.serial for unit in moved]


async def level(part: int, depot: int) -> tuple[int, int]:
    row = await StockLevel.select(StockLevel.on_hand, StockLevel.reserved).where(
        (StockLevel.part == part) & (StockLevel.depot == depot)
    )
    return row[0]["on_hand"], row[0]["reserved"]


async def reserved_serials() -> list[str]:
    rows = await StockUnit.select(StockUnit.serial).where(StockUnit.status == UnitStatus.RESERVED)
    return sorted(row["serial"] for row in rows)


async def test_the_oldest_units_go_first_and_never_more_than_the_level_holds(database_url):
    with in_domain(test_settings(database_url)):
        part, depot = await stocked()

        assert await take(part, depot, 2) == ["S1", "S2"]
        with pytest.raises(InsufficientStock):
            await take(part, depot, 2)

        assert await level(part, depot) == (3, 2)
        assert await reserved_serials() == ["S1", "S2"]
        assert await take(part, depot, 1) == ["S3"]


@pytest.mark.postgres
async def test_a_pick_that_waited_for_the_level_skips_the_unit_the_other_writer_took(postgres_url):
    """The combined statement's snapshot predates the other writer's commit, so it still sees S1 as
    available; S1 must be skipped and S2 taken instead, not S1 twice and not nothing."""
    with in_domain(test_settings(postgres_url)):
        part, depot = await stocked()
        other, observer = await asyncpg.connect(postgres_url), await asyncpg.connect(postgres_url)
        try:
            async with other.transaction():
                await other.execute(
                    "UPDATE stock_level SET reserved = reserved + 1 WHERE part = $1 AND depot = $2",
                    part,
                    depot,
                )
                await other.execute("UPDATE stock_unit SET status = 'reserved' WHERE serial = 'S1'")
                waiting = asyncio.create_task(take(part, depot, 1))
                await until_waiting_for_a_lock(observer)
            taken = await asyncio.wait_for(waiting, 30)
        finally:
            await other.close()
            await observer.close()

        assert taken == ["S2"]
        assert await level(part, depot) == (3, 2)
        assert await reserved_serials() == ["S1", "S2"]


async def until_waiting_for_a_lock(observer: asyncpg.Connection) -> None:
    """Until another backend waits for a row lock (the pick, blocked at the level row); the observer is
    outside any transaction, which would keep showing it the activity as first read."""
    for _ in range(500):
        if await observer.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the pick never waited for the level row")
