"""The store on SQLite: one writer at a time, so a plain read inside a write transaction is a read under
lock, and every statement is a few microseconds on the writer connection (no round trips to save).

Write transactions are units of work on the event loop's writer connection, inside ``BEGIN IMMEDIATE``,
sharing their COMMIT (`inventory.persistence.sqlite_writer`). Audit entries are linked in Python at the
append (`inventory.persistence.audit_link`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache

from inventory.audit_chain import UnlinkedEntry
from inventory.persistence.audit_link import link_in_python
from inventory.persistence.rows import LevelDeltas, MovedUnit, MovementRow, ReservationItemRow, ReservationRow
from inventory.persistence.sqlite_writer import WriterSQLiteEngine
from inventory.persistence.store import (
    INSERT_ITEMS,
    INSERT_RESERVATION,
    THE_CUSTOMERS_TICKET,
    THE_PART_AND_DEPOT,
    THE_TICKET,
    TICKET_FOR_RESERVATION,
    Store,
    item_values,
    movement_inserts,
)

_NEXT_RESERVATION_ID = "(SELECT COALESCE(MAX(id), 0) + 1 FROM reservation) AS reservation_id"
"""The id the next reservation gets: writers are serialised, so no other can take it meanwhile."""
_READ_TICKET = {
    own: f"{THE_PART_AND_DEPOT}SELECT {TICKET_FOR_RESERVATION}, {_NEXT_RESERVATION_ID} "
    f"FROM ticket WHERE {where}"
    for own, where in ((False, THE_TICKET), (True, THE_CUSTOMERS_TICKET))
}
"""The ticket for a reservation: ``BEGIN IMMEDIATE`` already admits one writer at a time, so a plain
read orders the reservations for it, and leaves its page unwritten."""


class SqliteStore(Store):
    """`Store` on SQLite."""

    read_ticket_sql = _READ_TICKET

    engine: WriterSQLiteEngine

    def driver_sql(self, sql: str) -> str:
        return _qmark(sql)

    async def wait_durable(self) -> None:
        """Nothing to wait for: another connection sees a commit only once it is on disk (the WAL is
        synced, ``synchronous = FULL``, before the commit is published in the WAL index), and a unit of
        work that reads an earlier unit of its own group is answered after the group's COMMIT."""

    async def lock_plan_day(self, day: date) -> None:
        """Nothing to take: ``BEGIN IMMEDIATE`` already admits one writer, so a commit's reads of the
        day's committed plans see every earlier commit."""

    async def has_table(self, name: str) -> bool:
        rows = await self._execute(
            "SELECT COUNT(*) AS tables FROM sqlite_master WHERE type = 'table' AND name = {}", name
        )
        return bool(rows[0]["tables"])

    async def take_oldest_units(
        self,
        part_id: int,
        depot_id: int,
        from_status: str,
        to_status: str,
        quantity: int,
        deltas: LevelDeltas,
        now: datetime,
    ) -> list[MovedUnit] | None:
        if not await self.take_from_level(depot_id, part_id, from_status, quantity, deltas):
            return None
        return await self.move_oldest_units(
            part_id, depot_id, from_status, to_status, depot_id, quantity, now
        )

    async def record_movements(
        self, rows: Sequence[MovementRow], entry: UnlinkedEntry, mac_key: bytes
    ) -> None:
        for sql, args in movement_inserts(rows):
            await self.run(sql, *args)
        await self.append_audit(entry, mac_key)

    async def append_audit(self, entry: UnlinkedEntry, mac_key: bytes) -> None:
        if self.audit_chain:
            await link_in_python(self.run, entry, mac_key)

    async def link_audit_now(self) -> None:
        """Nothing: entries are linked at the append."""

    async def purge_linked_audit(self) -> int:
        """Nothing: SQLite queues no entries."""
        return 0

    async def audit_queue_rows(self) -> int:
        """None: SQLite queues no entries."""
        return 0

    async def store_reservation(
        self,
        reservation: ReservationRow,
        items: Sequence[ReservationItemRow],
        movements: Sequence[MovementRow],
        entry: UnlinkedEntry,
        mac_key: bytes,
    ) -> None:
        await self.run(INSERT_RESERVATION, *reservation)
        values, args = item_values(items)
        await self.run(INSERT_ITEMS + values, *args)
        await self.record_movements(movements, entry, mac_key)


@lru_cache(maxsize=512)
def _qmark(sql: str) -> str:
    return sql.replace("{}", "?")
