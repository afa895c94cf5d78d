"""The rows the store writes and returns: plain values, with fields named and ordered as the columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


class MovementRow(NamedTuple):
    """A row of the movement ledger (append-only), its fields in column order."""

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


MOVEMENT_COLUMNS = MovementRow._fields
"""The columns of a movement row other than its id, as every writer of the ledger fills them."""


class LevelDeltas(NamedTuple):
    """How much each column of a depot's stock level for a part changes."""

    on_hand: int = 0
    reserved: int = 0
    in_transit: int = 0
    defective: int = 0
    quarantined: int = 0


LEVEL_COLUMNS = LevelDeltas._fields


class ReservationRow(NamedTuple):
    """A new reservation, its id drawn beforehand (`Store.read_ticket_for_reservation`)."""

    id: int
    ticket: int
    part: int
    depot: int
    quantity: int
    status: str
    priority: int
    estimated_arrival: datetime
    expires_at: datetime
    created_by: str
    created_at: datetime


class ReservationItemRow(NamedTuple):
    """What a new reservation holds: one unit, or a quantity of one bulk batch (``unit`` None)."""

    reservation: int
    unit: int | None
    batch_number: str
    quantity: int


@dataclass(frozen=True, slots=True)
class MovedUnit:
    """A unit that a stock operation moved."""

    id: int
    serial: str
    batch_number: str
