"""Ledger movements matched with the audit chain entries that recorded them. Plain Python.

`inventory.stock.positions.record_movements` writes each batch of movement rows with one ``stock.<kind>``
entry: its time and actor are the movements' ``at`` and ``actor``, its subject is their ``reference``
(``part:<id>`` of the first movement when there is none), and its payload holds the ``reason`` and, per
movement, kind, part, unit, batch, quantity and both depots and states. Movement ids are not in the
chain, so movements are matched by everything else: a stored movement and a recorded one with the same
fields cancel out, in whatever order they arrive, and what is left over differs from the chain.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime

from inventory.audit_chain import Entry

ACTION_PREFIX = "stock."

FIELD_LABELS = (
    "time",
    "kind",
    "part",
    "unit",
    "batch",
    "quantity",
    "from depot",
    "from state",
    "to depot",
    "to state",
    "recorded by",
    "reason",
    "reference",
)
"""The compared fields of a movement, in `Fields` order."""

Fields = tuple[object, ...]
"""A movement's fields in `FIELD_LABELS` order, its time as UTC ISO 8601 text."""

_PAIRED_AT_LEAST = 7
"""A left-over stored movement and a left-over recorded one at the same time are the same movement
changed when they agree on at least this many fields (of 13)."""


@dataclass(frozen=True, slots=True)
class StoredMovement:
    """A ledger row as stored."""

    id: int
    at: datetime
    kind: str
    part: int
    unit: int | None
    batch_number: str
    quantity: int
    from_depot: int | None
    from_status: str | None
    to_depot: int | None
    to_status: str | None
    actor: str
    reason: str
    reference: str

    def fields(self) -> Fields:
        return (
            _utc(self.at),
            self.kind,
            self.part,
            self.unit,
            self.batch_number,
            self.quantity,
            self.from_depot,
            self.from_status,
            self.to_depot,
            self.to_status,
            self.actor,
            self.reason,
            self.reference,
        )


@dataclass(frozen=True, slots=True)
class MovementMismatch:
    """A stored movement that differs from the chain, a recorded one the ledger lacks, or both paired."""

    movement_id: int | None
    entry_seq: int | None
    description: str


def recorded_movements(entry: Entry) -> list[Fields] | None:
    """The movements a ``stock.*`` entry recorded; None if its payload is not of that shape."""
    try:
        payload = json.loads(entry.payload)
        rows = payload["movements"]
        reason = payload["reason"]
        at = _utc(datetime.fromisoformat(entry.at))
        first_part = rows[0][1]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if not all(isinstance(row, list) and len(row) == 9 for row in rows):
        return None
    reference = "" if entry.subject == f"part:{first_part}" else entry.subject
    return [(at, *row, entry.actor, reason, reference) for row in rows]


class MovementReconciler:
    """Fed stored movements and chain entries in any interleaving; holds only what is not yet matched, so
    two streams in nearly the same order need little memory."""

    def __init__(self) -> None:
        self._stored: dict[Fields, deque[int]] = defaultdict(deque)
        self._recorded: dict[Fields, deque[int]] = defaultdict(deque)
        self._unreadable: list[MovementMismatch] = []

    def add_entry(self, entry: Entry) -> int:
        """Match the movements of one chain entry; returns how many it recorded."""
        movements = recorded_movements(entry)
        if movements is None:
            self._unreadable.append(
                MovementMismatch(None, entry.seq, f"audit entry {entry.seq} ({entry.action}) cannot be read")
            )
            return 0
        for fields in movements:
            self._match(fields, entry.seq, waiting=self._stored, into=self._recorded)
        return len(movements)

    def add_stored(self, movement: StoredMovement) -> None:
        """Match one stored movement."""
        self._match(movement.fields(), movement.id, waiting=self._recorded, into=self._stored)

    def pending(self) -> int:
        """How many movements, of either side, are not matched yet."""
        return sum(map(len, self._stored.values())) + sum(map(len, self._recorded.values()))

    def mismatches(self, *, settled_through: int | None = None) -> list[MovementMismatch]:
        """What is left once both streams have been fed: changed movements (a stored one paired with the
        recorded one it most resembles), movements not in the chain, and recorded movements not stored.

        A recorded movement left over from an entry after ``settled_through`` is not reported on its own:
        its row may have committed after the ledger was read past its id.
        """
        stored = _flatten(self._stored)
        recorded = _flatten(self._recorded)
        found = list(self._unreadable)
        recorded_at: dict[object, list[tuple[Fields, int]]] = defaultdict(list)
        for fields, seq in recorded:
            recorded_at[fields[0]].append((fields, seq))
        for fields, movement_id in stored:
            candidates = recorded_at.get(fields[0], [])
            best = max(candidates, key=lambda candidate: _agreeing(fields, candidate[0]), default=None)
            if best is not None and _agreeing(fields, best[0]) >= _PAIRED_AT_LEAST:
                candidates.remove(best)
                found.append(_changed(movement_id, fields, *best))
            else:
                found.append(
                    MovementMismatch(
                        movement_id,
                        None,
                        f"movement {movement_id} ({_summary(fields)}) is not recorded in the audit chain",
                    )
                )
        for candidates in recorded_at.values():
            for fields, seq in candidates:
                if settled_through is not None and seq > settled_through:
                    continue
                found.append(
                    MovementMismatch(
                        None,
                        seq,
                        f"audit entry {seq} records a movement ({_summary(fields)}) "
                        "that the ledger does not hold",
                    )
                )
        return sorted(found, key=lambda m: (m.movement_id is None, m.movement_id or 0, m.entry_seq or 0))

    @staticmethod
    def _match(
        fields: Fields, ref: int, *, waiting: dict[Fields, deque[int]], into: dict[Fields, deque[int]]
    ) -> None:
        queue = waiting.get(fields)
        if queue:
            queue.popleft()
            if not queue:
                del waiting[fields]
            return
        into[fields].append(ref)


def _flatten(pending: dict[Fields, deque[int]]) -> list[tuple[Fields, int]]:
    return sorted(((fields, ref) for fields, refs in pending.items() for ref in refs), key=lambda p: p[1])


def _agreeing(a: Fields, b: Fields) -> int:
    return sum(x == y and type(x) is type(y) for x, y in zip(a, b, strict=True))


def _changed(movement_id: int, stored: Fields, recorded: Fields, seq: int) -> MovementMismatch:
    changes = "; ".join(
        f"{label} is {_shown(mine)} in the ledger but {_shown(theirs)} in the audit chain"
        for label, mine, theirs in zip(FIELD_LABELS, stored, recorded, strict=True)
        if not (mine == theirs and type(mine) is type(theirs))
    )
    description = f"movement {movement_id} differs from audit entry {seq}: {changes}"
    return MovementMismatch(movement_id, seq, description)


def _summary(fields: Fields) -> str:
    at, kind, part, _unit, batch, quantity, *_rest, reference = fields
    where = f", {reference}" if reference else ""
    lot = f" batch {batch}" if batch else ""
    return f"{kind} of {quantity} of part {part}{lot} at {at}{where}"


def _shown(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()
