"""The store on PostgreSQL: writers run concurrently at READ COMMITTED, and every statement is a round trip.

So invariants are conditional ``UPDATE ... WHERE <rule> RETURNING`` statements (a second writer waits
for the row lock, then checks the rule against the new row), and the reservation path saves round
trips: it takes the level and the oldest units in one statement, and writes the reservation, its items,
its ledger rows and its audit entry in one more. Audit entries are queued for a deferred trigger that
links them at COMMIT (`inventory.persistence.audit_link`); such a transaction releases its locks at
COMMIT, before its flush, and waits for a shared flush afterwards (`inventory.persistence.postgres_engine`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache

from inventory.audit_chain import UnlinkedEntry
from inventory.persistence.audit_link import mac_settings
from inventory.persistence.postgres_engine import PostgresWriteTransaction, ServicePostgresEngine
from inventory.persistence.rows import LevelDeltas, MovedUnit, MovementRow, ReservationItemRow, ReservationRow
from inventory.persistence.store import (
    INSERT_ITEMS,
    INSERT_RESERVATION,
    LEVEL_ASSIGNMENTS,
    OLDEST_UNITS_SQL,
    TAKEABLE,
    THE_CUSTOMERS_TICKET,
    THE_PART_AND_DEPOT,
    THE_TICKET,
    TICKET_FOR_RESERVATION,
    Store,
    item_values,
    movement_inserts,
)

QUEUE_ENTRY = """
WITH settings AS (
    SELECT set_config('spareline.audit_mac_inner', {}, true) AS inner_pad,
        set_config('spareline.audit_mac_outer', {}, true) AS outer_pad,
        set_config('synchronous_commit', {}, true) AS commit_mode
), queued AS (
    INSERT INTO audit_pending (at, actor, action, subject, payload)
    SELECT {}, {}, {}, {}, {} FROM settings
)
"""
"""Queue an entry for the deferred trigger that links it at COMMIT, give that trigger the MAC key's
padded halves for this transaction only (`inventory.persistence.audit_link.mac_settings`), and let the
transaction release the head row as soon as it commits
(`PostgresWriteTransaction.release_locks_at_commit`). The statement that follows it runs with it."""

_TAKE_OLDEST_UNITS = {
    status: (
        f"WITH level AS (UPDATE stock_level SET {LEVEL_ASSIGNMENTS} "
        f"WHERE part = {{}} AND depot = {{}} AND {takeable} >= {{}} RETURNING id), "
        "moved AS (UPDATE stock_unit SET status = {}, updated_at = {} "
        f"WHERE id IN ({OLDEST_UNITS_SQL}) AND status = {{}} AND EXISTS (SELECT 1 FROM level) "
        "RETURNING id, serial, batch_number) "
        "SELECT moved.id, moved.serial, moved.batch_number FROM level LEFT JOIN moved ON true"
    )
    for status, takeable in TAKEABLE.items()
}
"""The level's conditional update, then (only if it took) the oldest units, in one statement. ``status =
{}`` outside the subquery is checked again against a unit's newest version if a writer the level row
waited for has moved it since the statement's snapshot: such a unit is skipped, not taken."""

_NEXT_RESERVATION_ID = "nextval('reservation_id_seq') AS reservation_id"
"""The id of the reservation about to be made, drawn with the ticket so that the reservation can be
written in the same statement as its ledger rows (a failed attempt leaves a gap, as a rollback does)."""
_READ_TICKET = {
    own: f"{THE_PART_AND_DEPOT}UPDATE ticket SET status = status WHERE {where} "
    f"RETURNING {TICKET_FOR_RESERVATION}, {_NEXT_RESERVATION_ID}"
    for own, where in ((False, THE_TICKET), (True, THE_CUSTOMERS_TICKET))
}
"""The ticket for a reservation, under its row lock (a no-op update), which orders the reservations for
it."""

PLAN_DAY_LOCK_CLASS = 0x506C616E
"""The first key of the plan commits' advisory locks (the ASCII bytes of ``Plan``); the second is the
plan day's proleptic ordinal (`date.toordinal`). The release lock uses the one-key form, whose keys
never meet two-key locks."""


class PostgresStore(Store):
    """`Store` on PostgreSQL."""

    read_ticket_sql = _READ_TICKET

    engine: ServicePostgresEngine

    def driver_sql(self, sql: str) -> str:
        return numbered_placeholders(sql)

    async def wait_durable(self) -> None:
        """Wait for a flush started after the read (`GroupFlush`), which covers every commit the read
        could see; inside a write transaction, leave the wait to it (it waits once it has given its
        connection back)."""
        transaction = self.engine.open_transaction()
        if transaction is not None:
            transaction.flush_owed = True
            return
        await self.engine.group_flush().wait()

    async def lock_plan_day(self, day: date) -> None:
        """``pg_advisory_xact_lock(PLAN_DAY_LOCK_CLASS, <day's ordinal>)``: held until the transaction
        ends (so the pool's connections keep no lock between transactions). A concurrent commit of the
        day waits for it, and its next statement, at READ COMMITTED, sees the plans the first committed."""
        await self._execute("SELECT pg_advisory_xact_lock({}, {})", PLAN_DAY_LOCK_CLASS, day.toordinal())

    async def has_table(self, name: str) -> bool:
        """Looked up as the service's statements look up a table name: along the search path."""
        rows = await self._execute("SELECT to_regclass(CAST({} AS text)) IS NOT NULL AS present", name)
        return bool(rows[0]["present"])

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
        """In one statement; units that the statement's snapshot showed but a writer it waited for at the
        level row has moved since are skipped, and the shortfall is picked again in a new statement,
        under the level row lock now held."""
        rows = await self.run(
            _TAKE_OLDEST_UNITS[from_status],
            *deltas,
            part_id,
            depot_id,
            quantity,
            to_status,
            now,
            part_id,
            depot_id,
            from_status,
            quantity,
            from_status,
        )
        if not rows:
            return None
        moved = [
            MovedUnit(row["id"], row["serial"], row["batch_number"]) for row in rows if row["id"] is not None
        ]
        if len(moved) < quantity:
            moved += await self.move_oldest_units(
                part_id, depot_id, from_status, to_status, depot_id, quantity - len(moved), now
            )
        return moved

    async def record_movements(
        self, rows: Sequence[MovementRow], entry: UnlinkedEntry, mac_key: bytes
    ) -> None:
        """The last (usually the only) INSERT of ledger rows in one statement with the audit append."""
        inserts = movement_inserts(rows)
        for sql, args in inserts[:-1]:
            await self.run(sql, *args)
        last, args = inserts[-1]
        if self.audit_chain:
            await self._with_entry(last, args, entry, mac_key)
        else:
            await self.run(last, *args)

    async def append_audit(self, entry: UnlinkedEntry, mac_key: bytes) -> None:
        if self.audit_chain:
            await self._with_entry("SELECT 1", (), entry, mac_key)

    async def link_audit_now(self) -> None:
        """Run the linking trigger now; the head row then stays locked until the commit, so only rare
        writes should ask for it."""
        await self.run("SET CONSTRAINTS audit_pending_link IMMEDIATE")

    async def purge_linked_audit(self) -> int:
        """Every queue row that committed was linked before its transaction committed, and rows of
        transactions still open are not visible here, so this removes exactly the linked ones."""
        rows = await self.run(
            "WITH purged AS (DELETE FROM audit_pending RETURNING 1) SELECT count(*) AS n FROM purged"
        )
        return rows[0]["n"]

    async def audit_queue_rows(self) -> int:
        """Rows of the queue that committed transactions left (a count, read outside any write
        transaction: it waits for no lock)."""
        rows = await self._execute("SELECT count(*) AS n FROM audit_pending")
        return rows[0]["n"]

    async def store_reservation(
        self,
        reservation: ReservationRow,
        items: Sequence[ReservationItemRow],
        movements: Sequence[MovementRow],
        entry: UnlinkedEntry,
        mac_key: bytes,
    ) -> None:
        """One round trip: the reservation and its items go in the statement of its (last) ledger rows
        and its audit entry."""
        inserts = movement_inserts(movements)
        for sql, args in inserts[:-1]:
            await self.run(sql, *args)
        values, item_args = item_values(items)
        last, last_args = inserts[-1]
        written = (
            f"created AS ({INSERT_RESERVATION}), items AS ({INSERT_ITEMS}{values}) {last}",
            (*reservation, *item_args, *last_args),
        )
        if self.audit_chain:
            await self._with_entry(f", {written[0]}", written[1], entry, mac_key)
        else:
            await self.run(f"WITH {written[0]}", *written[1])

    async def _with_entry(
        self, statement: str, args: Sequence[object], entry: UnlinkedEntry, mac_key: bytes
    ) -> None:
        """``statement`` (following `QUEUE_ENTRY`: a statement, or more common table expressions
        starting with a comma, then a statement) run with the append of ``entry``."""
        inner, outer = mac_settings(mac_key)
        await self.run(
            QUEUE_ENTRY + statement,
            inner,
            outer,
            self._transaction().release_locks_at_commit(),
            entry.at,
            entry.actor,
            entry.action,
            entry.subject,
            entry.payload,
            *args,
        )

    def _transaction(self) -> PostgresWriteTransaction:
        transaction = self.engine.open_transaction()
        if transaction is None:
            raise RuntimeError("an audit append needs an open write_transaction()")
        return transaction


@lru_cache(maxsize=512)
def numbered_placeholders(sql: str) -> str:
    """``{}`` placeholders as asyncpg's ``$1, $2, ...``."""
    count = iter(range(1, sql.count("{}") + 1))
    return re.sub(r"\{\}", lambda _: f"${next(count)}", sql)
