"""The store: every operation the domain runs on its database, by name.

`Store` is the interface. Where both engines run the same SQL, the operation is written here; where they
differ, it is abstract here and written in `inventory.persistence.sqlite` and
`inventory.persistence.postgres`. Domain services get the store in use with
`inventory.persistence.current_store()`, and call its operations inside its `write_transaction()` when
they write.

Statements are written with ``{}`` placeholders, as in Piccolo's raw queries. Inside a write transaction
they run with the driver on its connection, values adapted as Piccolo adapts them (Piccolo's SQLite
adapters and converters are registered with ``sqlite3`` globally): Piccolo's own path costs about three
times as much per statement on SQLite and a third more on PostgreSQL, which adds up on a reservation's
dozen statements. Outside one they run as Piccolo's raw queries. Column names in statements come from
fixed tuples and mappings of this package, never from input.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any, Protocol

from piccolo.querystring import QueryString

from inventory.audit_chain import Checkpoint, Entry, UnlinkedEntry
from inventory.persistence.audit_link import ENTRY_COLUMNS
from inventory.persistence.piccolo_bridge import OpenTransaction
from inventory.persistence.planning_data import PlanningData
from inventory.persistence.rows import (
    LEVEL_COLUMNS,
    MOVEMENT_COLUMNS,
    LevelDeltas,
    MovedUnit,
    MovementRow,
    ReservationItemRow,
    ReservationRow,
)
from inventory.persistence.warehouse_views import WarehouseViews

Rows = Sequence[Mapping[str, Any]]


class ServiceEngine(Protocol):
    """The service's Piccolo engine of either kind (`inventory.persistence.sqlite_writer`,
    `inventory.persistence.postgres_engine`)."""

    def write_transaction(self) -> AbstractAsyncContextManager[OpenTransaction]: ...

    def open_transaction(self) -> OpenTransaction | None: ...

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any: ...

    def transform_response_to_dicts(self, results: Any) -> list[dict]: ...


TAKEABLE = {
    "available": "on_hand - reserved",
    "reserved": "reserved",
    "in_transit": "in_transit",
    "defective": "defective",
    "quarantined": "quarantined",
}
"""What a depot's stock level holds of a part in each state at the depot (the expression that a
conditional update checks before it takes)."""
BULK_COLUMNS = frozenset(TAKEABLE)
"""The states a bulk batch counts, each a column of ``bulk_stock``."""

LEVEL_ASSIGNMENTS = ", ".join(f"{column} = {column} + {{}}" for column in LEVEL_COLUMNS)
"""``SET`` clause of a level update: one placeholder per `LevelDeltas` field, in order."""

OLDEST_UNITS_SQL = (
    "SELECT id FROM stock_unit WHERE part = {} AND depot = {} AND status = {} ORDER BY id LIMIT {}"
)
"""The oldest units of a part at a depot in one state, read in order from the index
``stock_unit_part_depot_status_id``."""

_MOVE_OLDEST = (
    "UPDATE stock_unit SET status = {}, depot = {}, updated_at = {} "
    f"WHERE id IN ({OLDEST_UNITS_SQL}) RETURNING id, serial, batch_number"
)

ROWS_PER_INSERT = 1_000
"""Movement rows per INSERT: 13,000 values, well inside both engines' limit of 32,766 parameters."""
INSERT_MOVEMENTS = f"INSERT INTO movement ({', '.join(MOVEMENT_COLUMNS)}) VALUES "
MOVEMENT_VALUES = f"({', '.join(['{}'] * len(MOVEMENT_COLUMNS))})"

RESERVATION_COLUMNS = ", ".join(ReservationRow._fields)
INSERT_RESERVATION = (
    f"INSERT INTO reservation ({RESERVATION_COLUMNS}) "
    f"VALUES ({', '.join(['{}'] * len(ReservationRow._fields))})"
)
INSERT_ITEMS = "INSERT INTO reservation_item (reservation, unit, batch_number, quantity, active) VALUES "
ITEM_VALUES = "({}, {}, {}, {}, true)"

THE_PART_AND_DEPOT = (
    "WITH asked AS (SELECT id, serialized FROM part WHERE part_number = {}), "
    "named AS (SELECT id, latitude, longitude FROM depot WHERE code = {}) "
)
TICKET_FOR_RESERVATION = (
    "id, status, severity, priority, asset, delivery_service, delivery_due_by, "
    "(SELECT tier FROM customer WHERE customer.id = ticket.customer) AS tier, "
    "(SELECT latitude FROM site WHERE site.id = ticket.site) AS latitude, "
    "(SELECT longitude FROM site WHERE site.id = ticket.site) AS longitude, "
    "(SELECT id FROM asked) AS part_id, (SELECT serialized FROM asked) AS part_serialized, "
    "(SELECT id FROM named) AS depot_id, (SELECT latitude FROM named) AS depot_latitude, "
    "(SELECT longitude FROM named) AS depot_longitude, "
    "(SELECT on_hand - reserved FROM stock_level WHERE part = (SELECT id FROM asked) "
    "AND depot = (SELECT id FROM named)) AS depot_available"
)
"""The columns of `Store.read_ticket_for_reservation`, after `THE_PART_AND_DEPOT`."""
THE_TICKET = "id = {}"
THE_CUSTOMERS_TICKET = "id = {} AND customer = (SELECT id FROM customer WHERE code = {})"

_AUDIT_COLUMNS = ", ".join(ENTRY_COLUMNS)

COUNT_LOGIN_ATTEMPT = (
    "INSERT INTO login_attempt (kind, subject, window_start, attempts) VALUES ({}, {}, {}, 1) "
    "ON CONFLICT (kind, subject) DO UPDATE SET "
    "attempts = CASE WHEN login_attempt.window_start > {} THEN login_attempt.attempts + 1 ELSE 1 END, "
    "window_start = CASE WHEN login_attempt.window_start > {} "
    "THEN login_attempt.window_start ELSE excluded.window_start END "
    "RETURNING attempts, window_start"
)
"""One more attempt on a login throttle counter, in a new window if its window has closed. The same on
both engines: the upsert takes the row's lock (PostgreSQL) or runs under the write lock (SQLite), so
concurrent attempts count one after the other, and every ``SET`` reads the row as it was."""


class Store(WarehouseViews, PlanningData, ABC):
    """The named operations of the service on its database (see the module docstring).

    With ``audit_chain`` off, the store writes everything but audit chain entries; only the reservation
    benchmark builds one, to measure what the chain costs.
    """

    read_ticket_sql: Mapping[bool, str]
    """The statement of `read_ticket_for_reservation`, by whether the customer is named: how the ticket
    is read under a lock, and its next reservation id drawn, differs per engine."""

    def __init__(self, engine: ServiceEngine, *, audit_chain: bool = True) -> None:
        self.engine = engine
        self.audit_chain = audit_chain

    # --- transactions -------------------------------------------------------------------------------

    def write_transaction(self) -> AbstractAsyncContextManager[OpenTransaction]:
        """A transaction for a unit of work that writes; joins the one open in this context, if any (so
        that an idempotency record and the change it guards commit together).

        SQLite: a unit of work on this event loop's writer connection, queued behind the process's
        earlier writers and committed with them (`inventory.persistence.sqlite_writer`). PostgreSQL: a
        transaction on a connection of the pool, which waits for a shared flush after its COMMIT if it
        released its locks before the flush (`inventory.persistence.postgres_engine`). Either returns
        from its block only once its change is durable.
        """
        return self.engine.write_transaction()

    @abstractmethod
    async def wait_durable(self) -> None:
        """Make sure that what this context has read is durable before it is answered (a stored answer
        that a retry replays: its transaction may have committed without waiting for its flush)."""

    async def run(self, sql: str, *args: object) -> Rows:
        """One statement (``{}`` placeholders) with the driver, in the open write transaction.

        Raises:
            RuntimeError: no write transaction is open in this context.
        """
        transaction = self.engine.open_transaction()
        if transaction is None:
            raise RuntimeError("run() needs an open write_transaction()")
        return await transaction.fetch(self.driver_sql(sql), args)

    @abstractmethod
    def driver_sql(self, sql: str) -> str:
        """``sql`` with its ``{}`` placeholders in the driver's."""

    async def _execute(self, sql: str, *args: object) -> Rows:
        """One statement: in the open write transaction if there is one, else as a Piccolo raw query."""
        transaction = self.engine.open_transaction()
        if transaction is not None:
            return await transaction.fetch(self.driver_sql(sql), args)
        rows = await self.engine.run_querystring(QueryString(sql, *args))
        return self.engine.transform_response_to_dicts(rows)

    # --- stock levels, bulk batches and units --------------------------------------------------------

    async def take_from_level(
        self, depot_id: int, part_id: int, from_status: str, quantity: int, deltas: LevelDeltas
    ) -> bool:
        """Change a depot's level for a part by ``deltas`` if it holds at least ``quantity`` in
        ``from_status``: one conditional UPDATE, which takes the row lock and checks in one statement.

        Returns:
            Whether the level held enough (and changed).
        """
        rows = await self._execute(
            f"UPDATE stock_level SET {LEVEL_ASSIGNMENTS} "
            f"WHERE part = {{}} AND depot = {{}} AND {TAKEABLE[from_status]} >= {{}} RETURNING id",
            *deltas,
            part_id,
            depot_id,
            quantity,
        )
        return bool(rows)

    async def add_to_level(self, depot_id: int, part_id: int, deltas: LevelDeltas) -> None:
        """Change a depot's level for a part by ``deltas``, creating the row on first use."""
        updates = ", ".join(
            f"{column} = stock_level.{column} + excluded.{column}" for column in LEVEL_COLUMNS
        )
        await self._execute(
            f"INSERT INTO stock_level (depot, part, {', '.join(LEVEL_COLUMNS)}) "
            f"VALUES ({', '.join(['{}'] * (2 + len(LEVEL_COLUMNS)))}) "
            f"ON CONFLICT (part, depot) DO UPDATE SET {updates}",
            depot_id,
            part_id,
            *deltas,
        )

    async def add_to_bulk(
        self, depot_id: int, part_id: int, batch_number: str, status: str, quantity: int
    ) -> None:
        """Add ``quantity`` of one batch in ``status`` at a depot, creating the row on first use."""
        column = _bulk_column(status)
        await self._execute(
            f"INSERT INTO bulk_stock (depot, part, batch_number, {column}) VALUES ({{}}, {{}}, {{}}, {{}}) "
            "ON CONFLICT (depot, part, batch_number) "
            f"DO UPDATE SET {column} = bulk_stock.{column} + excluded.{column}",
            depot_id,
            part_id,
            batch_number,
            quantity,
        )

    async def bulk_batches(self, depot_id: int, part_id: int, status: str) -> list[tuple[int, str, int]]:
        """``(id, batch number, quantity)`` of the batches of a part at a depot holding some in
        ``status``, oldest first."""
        source = _bulk_column(status)
        rows = await self._execute(
            f"SELECT id, batch_number, {source} AS quantity FROM bulk_stock "
            f"WHERE depot = {{}} AND part = {{}} AND {source} > 0 ORDER BY id",
            depot_id,
            part_id,
        )
        return [(row["id"], row["batch_number"], row["quantity"]) for row in rows]

    async def take_from_batch(
        self, batch_id: int, from_status: str, to_status: str | None, quantity: int
    ) -> bool:
        """Move ``quantity`` of one bulk batch out of ``from_status`` (into ``to_status``, if given) if it
        holds that many; whether it did."""
        source, into, amounts = _bulk_move(from_status, to_status, quantity)
        rows = await self._execute(
            f"UPDATE bulk_stock SET {source} = {source} - {{}}{into} "
            f"WHERE id = {{}} AND {source} >= {{}} RETURNING id",
            *amounts,
            batch_id,
            quantity,
        )
        return bool(rows)

    async def move_within_bulk(
        self,
        depot_id: int,
        part_id: int,
        batch_number: str,
        from_status: str,
        to_status: str | None,
        quantity: int,
    ) -> bool:
        """Move ``quantity`` of a batch at a depot out of ``from_status`` (into ``to_status``, if given)
        if it holds that many; whether it did."""
        source, into, amounts = _bulk_move(from_status, to_status, quantity)
        rows = await self._execute(
            f"UPDATE bulk_stock SET {source} = {source} - {{}}{into} "
            f"WHERE depot = {{}} AND part = {{}} AND batch_number = {{}} AND {source} >= {{}} RETURNING id",
            *amounts,
            depot_id,
            part_id,
            batch_number,
            quantity,
        )
        return bool(rows)

    async def move_oldest_units(
        self,
        part_id: int,
        depot_id: int,
        from_status: str,
        to_status: str,
        to_depot_id: int | None,
        quantity: int,
        now: datetime,
    ) -> list[MovedUnit]:
        """Move the oldest ``quantity`` units of a part at a depot in ``from_status`` to ``to_status`` (at
        ``to_depot_id``); the caller holds the level row lock."""
        rows = await self._execute(
            _MOVE_OLDEST, to_status, to_depot_id, now, part_id, depot_id, from_status, quantity
        )
        return [MovedUnit(row["id"], row["serial"], row["batch_number"]) for row in rows]

    @abstractmethod
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
        """`take_from_level` for ``quantity`` units of a part at a depot, then, if the level held them,
        `move_oldest_units` of as many of its units there from ``from_status`` to ``to_status``.

        Returns:
            None if the level held fewer than ``quantity`` in ``from_status`` (nothing changed); else the
            moved units, fewer than ``quantity`` only if the units disagree with the level.
        """

    # --- the movement ledger and the audit chain -----------------------------------------------------

    @abstractmethod
    async def record_movements(
        self, rows: Sequence[MovementRow], entry: UnlinkedEntry, mac_key: bytes
    ) -> None:
        """Append ledger rows and the audit chain entry recording them, in the open write transaction."""

    @abstractmethod
    async def append_audit(self, entry: UnlinkedEntry, mac_key: bytes) -> None:
        """Append one audit chain entry in the open write transaction; it is linked before that commits."""

    @abstractmethod
    async def link_audit_now(self) -> None:
        """Link the entries this transaction appended now rather than at its COMMIT, for a caller that
        reads their chain positions before it commits."""

    @abstractmethod
    async def purge_linked_audit(self) -> int:
        """Remove the queued entries that have been linked; how many."""

    @abstractmethod
    async def audit_queue_rows(self) -> int:
        """How many entries wait in the audit queue (linked or not, until the sweep purges them)."""

    async def lock_audit_head(self) -> tuple[int, str]:
        """Take the chain head's row lock; its ``(seq, hash)``."""
        rows = await self._execute("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
        return rows[0]["seq"], rows[0]["hash"]

    async def last_checkpoint_seq(self) -> int:
        """The chain position of the newest signed checkpoint (0 for none); under the head row lock
        (`lock_audit_head`) no other checkpoint of the current head can be added meanwhile."""
        rows = await self._execute("SELECT COALESCE(MAX(seq), 0) AS seq FROM audit_checkpoint")
        return rows[0]["seq"]

    async def insert_checkpoint(self, checkpoint: Checkpoint, key_id: str) -> bool:
        """Keep a signed checkpoint unless one of the same chain position is kept already (the unique
        index ``audit_checkpoint_one_per_seq``); whether it was kept."""
        rows = await self._execute(
            "INSERT INTO audit_checkpoint (seq, hash, at, signature, key_id) VALUES ({}, {}, {}, {}, {}) "
            "ON CONFLICT (seq) DO NOTHING RETURNING id",
            checkpoint.seq,
            checkpoint.hash,
            checkpoint.at,
            checkpoint.signature,
            key_id,
        )
        return bool(rows)

    async def audit_entries(self, after: int, batch: int, action_prefix: str = "") -> list[Entry]:
        """Up to ``batch`` entries after ``after``, in ``seq`` order; only actions starting with
        ``action_prefix`` (without LIKE wildcards) if given."""
        if "_" in action_prefix or "%" in action_prefix:
            raise ValueError("action_prefix must not contain LIKE wildcards")
        only = " AND action LIKE {}" if action_prefix else ""
        pattern = (f"{action_prefix}%",) if action_prefix else ()
        rows = await self._execute(
            f"SELECT {_AUDIT_COLUMNS} FROM audit_entry WHERE seq > {{}}{only} "
            f"ORDER BY seq LIMIT {int(batch)}",
            after,
            *pattern,
        )
        return [Entry(**dict(row)) for row in rows]

    async def audit_entries_about(self, subjects: Sequence[str]) -> list[Entry]:
        """The entries about any of ``subjects``, in ``seq`` order."""
        if not subjects:
            return []
        rows = await self._execute(
            f"SELECT {_AUDIT_COLUMNS} FROM audit_entry "
            f"WHERE subject IN ({', '.join(['{}'] * len(subjects))}) ORDER BY seq",
            *subjects,
        )
        return [Entry(**dict(row)) for row in rows]

    # --- tickets and reservations --------------------------------------------------------------------

    async def lock_ticket(self, ticket_id: int) -> bool:
        """Take the ticket's row lock (a no-op update); whether the ticket exists."""
        return bool(
            await self._execute("UPDATE ticket SET status = status WHERE id = {} RETURNING id", ticket_id)
        )

    async def read_ticket_for_reservation(
        self, ticket_id: int, *, part_number: str, depot: str | None, customer: str | None
    ) -> Mapping[str, Any] | None:
        """The ticket (only ``customer``'s, if given), read under a lock that orders the reservations for
        it, with the id of the reservation to make (drawn now), the part asked for and the named depot.

        Returns:
            None if there is no such ticket; else its ``id``, ``status``, ``severity``, ``priority``,
            ``asset``, ``delivery_service``, ``delivery_due_by``, the customer's ``tier``, the site's
            ``latitude`` and ``longitude``, ``reservation_id``, ``part_id`` and ``part_serialized``
            (None: no such part), and ``depot_id`` (None: no such depot), ``depot_latitude``,
            ``depot_longitude`` and ``depot_available``, the part's available stock there (None: the
            depot keeps none).
        """
        args = (
            (part_number, depot, ticket_id) if customer is None else (part_number, depot, ticket_id, customer)
        )
        rows = await self.run(self.read_ticket_sql[customer is not None], *args)
        return rows[0] if rows else None

    async def depot_stock(self, part_id: int, depot_code: str | None = None) -> Rows:
        """The depots keeping a part (only ``depot_code`` if given): ``id``, ``code``, ``latitude``,
        ``longitude`` and the part's ``available`` stock there."""
        sql = (
            "SELECT depot.id, depot.code, depot.latitude, depot.longitude, "
            "stock_level.on_hand - stock_level.reserved AS available "
            "FROM stock_level JOIN depot ON depot.id = stock_level.depot WHERE stock_level.part = {}"
        )
        if depot_code is None:
            return await self._execute(sql, part_id)
        return await self._execute(f"{sql} AND depot.code = {{}}", part_id, depot_code)

    @abstractmethod
    async def store_reservation(
        self,
        reservation: ReservationRow,
        items: Sequence[ReservationItemRow],
        movements: Sequence[MovementRow],
        entry: UnlinkedEntry,
        mac_key: bytes,
    ) -> None:
        """Write a new reservation with its items, the ledger rows of the stock it holds and the audit
        entry recording them, in the open write transaction."""

    # --- transfers -----------------------------------------------------------------------------------

    async def lock_receivable_transfer(
        self, transfer_id: int, receivable: Sequence[str]
    ) -> tuple[int, int] | None:
        """Take the transfer's row lock if its status is one of ``receivable``; its part and destination
        depot, or None."""
        rows = await self._execute(
            "UPDATE transfer SET status = status "
            f"WHERE id = {{}} AND status IN ({', '.join(['{}'] * len(receivable))}) RETURNING part, to_depot",
            transfer_id,
            *receivable,
        )
        return (rows[0]["part"], rows[0]["to_depot"]) if rows else None

    async def receive_transfer_line(self, line_id: int, quantity: int) -> tuple[bool, int | None]:
        """Count ``quantity`` more of a transfer line as received, if no more than was shipped would then
        be; whether it was, and the line's unit (None for bulk)."""
        rows = await self._execute(
            "UPDATE transfer_item SET received_quantity = received_quantity + {} "
            "WHERE id = {} AND received_quantity + {} <= quantity RETURNING unit",
            quantity,
            line_id,
            quantity,
        )
        return (True, rows[0]["unit"]) if rows else (False, None)

    # --- kept plans ---------------------------------------------------------------------------------

    @abstractmethod
    async def lock_plan_day(self, day: date) -> None:
        """Serialise the plan commits of ``day`` until the open write transaction ends: a commit that
        supersedes the committed plans sharing a depot reads them only once every earlier commit of the
        day is visible, so two overlapping plans committed together never both stay committed."""

    # --- secure media --------------------------------------------------------------------------------

    async def lock_retention_record(self, record_id: int) -> None:
        """Take a retention record's row lock (a no-op update)."""
        await self._execute("UPDATE retention_record SET state = state WHERE id = {}", record_id)

    async def retention_subjects_not_stored(self, actions: Sequence[str]) -> list[str]:
        """Subjects of entries with one of ``actions`` naming a retention record that is not stored."""
        rows = await self._execute(
            "SELECT DISTINCT subject FROM audit_entry "
            f"WHERE action IN ({', '.join(['{}'] * len(actions))}) AND subject NOT IN "
            "(SELECT 'retention:' || CAST(id AS VARCHAR(20)) FROM retention_record)",
            *actions,
        )
        return [row["subject"] for row in rows]

    # --- schema --------------------------------------------------------------------------------------

    async def applied_migrations(self) -> frozenset[tuple[str, str]]:
        """``(app name, migration id)`` of every migration recorded as applied in Piccolo's ``migration``
        table; none in a database never migrated (no such table yet)."""
        if not await self.has_table("migration"):
            return frozenset()
        rows = await self._execute("SELECT app_name, name FROM migration")
        return frozenset((row["app_name"], row["name"]) for row in rows)

    @abstractmethod
    async def has_table(self, name: str) -> bool:
        """Whether the database has a table ``name`` where the service's statements find it."""

    # --- sign-in attempts ---------------------------------------------------------------------------

    async def count_login_attempt(
        self, kind: str, subject: str, now: datetime, expired_before: datetime
    ) -> tuple[int, datetime]:
        """Count one sign-in attempt against a counter, in one statement (`COUNT_LOGIN_ATTEMPT`): a
        counter without a row, or whose window opened at or before ``expired_before``, opens a new window
        at ``now`` with this attempt; else the attempt adds to its window.

        Returns:
            The attempts counted in the counter's window, this one included, and when the window opened.
        """
        rows = await self._execute(COUNT_LOGIN_ATTEMPT, kind, subject, now, expired_before, expired_before)
        return rows[0]["attempts"], rows[0]["window_start"]

    # --- consistency ---------------------------------------------------------------------------------

    async def ledger_flows(self) -> Rows:
        """The ledger summed by part number, batch, source depot code and state, destination depot code
        and state: ``part_number``, ``batch_number``, ``from_depot``, ``from_status``, ``to_depot``,
        ``to_status``, ``quantity``."""
        return await self._execute(
            "SELECT p.part_number, m.batch_number, fd.code AS from_depot, m.from_status, "
            "td.code AS to_depot, m.to_status, SUM(m.quantity) AS quantity "
            "FROM movement m JOIN part p ON p.id = m.part "
            "LEFT JOIN depot fd ON fd.id = m.from_depot LEFT JOIN depot td ON td.id = m.to_depot "
            "GROUP BY p.part_number, m.batch_number, fd.code, m.from_status, td.code, m.to_status"
        )

    async def unit_positions(self, statuses: Sequence[str]) -> Rows:
        """Units counted by depot code, part number, batch and status, for ``statuses``: ``depot``,
        ``part_number``, ``batch_number``, ``status``, ``quantity``."""
        rows = await self._execute(
            "SELECT d.code AS depot, p.part_number, u.batch_number, u.status, COUNT(*) AS quantity "
            "FROM stock_unit u JOIN part p ON p.id = u.part JOIN depot d ON d.id = u.depot "
            f"WHERE u.status IN ({', '.join(['{}'] * len(statuses))}) "
            "GROUP BY d.code, p.part_number, u.batch_number, u.status",
            *statuses,
        )
        return rows


def movement_inserts(rows: Sequence[MovementRow]) -> list[tuple[str, list[object]]]:
    """INSERT statements (``{}`` placeholders) and their arguments for ledger rows, `ROWS_PER_INSERT`
    rows each."""
    inserts = []
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        values = ", ".join([MOVEMENT_VALUES] * len(chunk))
        inserts.append((INSERT_MOVEMENTS + values, [value for row in chunk for value in row]))
    return inserts


def item_values(items: Sequence[ReservationItemRow]) -> tuple[str, list[object]]:
    """The ``VALUES`` of `INSERT_ITEMS` for ``items``, and their arguments."""
    return ", ".join([ITEM_VALUES] * len(items)), [value for item in items for value in item]


def _bulk_column(status: str) -> str:
    if status not in BULK_COLUMNS:
        raise ValueError(f"bulk stock has no {status} column")
    return str(status)


def _bulk_move(from_status: str, to_status: str | None, quantity: int) -> tuple[str, str, tuple[int, ...]]:
    """The source column, the ``SET`` of the target column (if any), and the amounts they change by."""
    source = _bulk_column(from_status)
    if to_status is None:
        return source, "", (quantity,)
    target = _bulk_column(to_status)
    return source, f", {target} = {target} + {{}}", (quantity, quantity)
