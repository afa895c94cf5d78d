"""Which parts fit an asset, and how many of them a ticket may ask for. Plain Python.

An asset model's bill of field-replaceable parts lists each part installed in it with its installed
quantity, and the alternates that may go in its place (a newer part that supersedes it). A part fits an
asset when its model's bill lists it, as installed or as an alternate; a ticket may hold at most the
installed quantity of one position (the installed part and its alternates together) at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class FitRefusal(StrEnum):
    """Why a part cannot be asked for on a ticket's asset."""

    NO_BILL_OF_PARTS = "no_bill_of_parts"
    NOT_FITTED = "not_fitted"
    OVER_INSTALLED_QUANTITY = "over_installed_quantity"


FIT_RULES: Mapping[FitRefusal, str] = {
    FitRefusal.NO_BILL_OF_PARTS: "the asset's model has no bill of field-replaceable parts",
    FitRefusal.NOT_FITTED: "the part is not in the bill of field-replaceable parts of the asset's model",
    FitRefusal.OVER_INSTALLED_QUANTITY: (
        "a ticket may hold at most the quantity installed in the asset, reservations already held included"
    ),
}
"""Each rule in words, for the problem's detail."""


@dataclass(frozen=True, slots=True)
class BillLine:
    """One line of a model's bill: ``part_number`` is installed ``installed`` times, or, with
    ``supersedes``, it is an alternate that replaces the installed part ``supersedes``."""

    part_number: str
    installed: int
    supersedes: str | None = None

    def __post_init__(self) -> None:
        if self.installed <= 0:
            raise ValueError(f"installed quantity must be positive, got {self.installed}")


@dataclass(frozen=True, slots=True)
class Position:
    """A place in the asset: the installed part, how many, and the parts that may replace it."""

    part_number: str
    installed: int
    alternates: tuple[str, ...]

    @property
    def part_numbers(self) -> tuple[str, ...]:
        return (self.part_number, *self.alternates)


@dataclass(frozen=True, slots=True)
class FitDecision:
    """The answer for one part and quantity: its position in the asset, or why it is refused."""

    position: Position | None
    refusal: FitRefusal | None
    may_still_hold: int
    """How many more of the position the ticket may hold (0 when the part does not fit)."""

    @property
    def fits(self) -> bool:
        return self.refusal is None


def positions(bill: Iterable[BillLine]) -> list[Position]:
    """The bill as positions: each installed part with its alternates, in part-number order.

    Raises:
        ValueError: an alternate of a part the bill does not install.
    """
    lines = list(bill)
    installed = {line.part_number: line.installed for line in lines if line.supersedes is None}
    alternates: dict[str, list[str]] = {part: [] for part in installed}
    for line in lines:
        if line.supersedes is None:
            continue
        if line.supersedes not in installed:
            raise ValueError(
                f"{line.part_number} supersedes {line.supersedes}, which the bill does not install"
            )
        alternates[line.supersedes].append(line.part_number)
    return [Position(part, installed[part], tuple(sorted(alternates[part]))) for part in sorted(installed)]


def position_of(bill: Sequence[BillLine], part_number: str) -> Position | None:
    """The position a part goes into (as installed or as an alternate), or None if it does not fit."""
    return next((p for p in positions(bill) if part_number in p.part_numbers), None)


def check_fit(
    bill: Sequence[BillLine], part_number: str, quantity: int, held: Mapping[str, int]
) -> FitDecision:
    """Whether ``quantity`` of ``part_number`` may be asked for on a ticket whose asset has ``bill``.

    Args:
        bill: the bill of field-replaceable parts of the asset's model.
        part_number: the part asked for.
        quantity: how many (positive).
        held: what the ticket holds already (active or handed out), by part number.
    """
    if quantity <= 0:
        raise ValueError(f"quantity must be positive, got {quantity}")
    if not bill:
        return FitDecision(None, FitRefusal.NO_BILL_OF_PARTS, 0)
    position = position_of(bill, part_number)
    if position is None:
        return FitDecision(None, FitRefusal.NOT_FITTED, 0)
    room = max(0, position.installed - sum(held.get(part, 0) for part in position.part_numbers))
    refusal = FitRefusal.OVER_INSTALLED_QUANTITY if quantity > room else None
    return FitDecision(position, refusal, room)
