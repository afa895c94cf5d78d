"""What goes on printed labels: units (by serial), boxes, batches and storage bins, each with the code its
QR code and Code 128 carry and the lines printed beside them.

A label's code is what `inventory.traceability.resolve_code` finds again when it is scanned: a unit's
serial, a box or batch number, or a bin's ``DEPOT/LOCATION``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inventory.errors import InvalidRequest, NotFound
from inventory.stock.tables import BulkStock, Depot, StockUnit

MAX_LABELS = 500
"""Most labels on one sheet."""
BIN_LOCATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


@dataclass(frozen=True, slots=True)
class Label:
    """One label: ``kind`` (``unit``, ``box``, ``batch``, ``bin``), the ``code`` its symbols encode, and
    what is printed beside them: the parts, a unit's description, box and batch, the units in a box or
    batch, a bin's depot."""

    kind: str
    code: str
    part_numbers: tuple[str, ...] = ()
    description: str = ""
    box_number: str | None = None
    batch_numbers: tuple[str, ...] = ()
    units: int = 0
    depot: str | None = None
    depot_name: str = ""


async def unit_labels(serials: list[str]) -> list[Label]:
    """A label per unit with one of ``serials`` (of every part that has it), in the order named.

    Raises:
        NotFound: a serial names no unit (all unknown ones are named).
    """
    rows = await StockUnit.select(
        StockUnit.serial,
        StockUnit.part.part_number.as_alias("part_number"),
        StockUnit.part.description.as_alias("description"),
        StockUnit.box_number,
        StockUnit.batch_number,
    ).where(StockUnit.serial.is_in(sorted(set(serials))))
    unknown = sorted(set(serials) - {row["serial"] for row in rows})
    if unknown:
        raise NotFound(f"no unit has the serial {', '.join(unknown)}", field="serials", serials=unknown)
    order = {serial: index for index, serial in enumerate(serials)}
    rows.sort(key=lambda row: (order[row["serial"]], row["part_number"]))
    return _capped([_unit_label(row) for row in rows])


def _unit_label(row: dict) -> Label:
    return Label(
        kind="unit",
        code=row["serial"],
        part_numbers=(row["part_number"],),
        description=row["description"],
        box_number=row["box_number"],
        batch_numbers=(row["batch_number"],),
    )


async def box_labels(box_number: str) -> list[Label]:
    """The box's label, then one per unit in it.

    Raises:
        NotFound: no unit is in that box.
        InvalidRequest: more units than a sheet holds.
    """
    rows = (
        await StockUnit.select(
            StockUnit.serial,
            StockUnit.part.part_number.as_alias("part_number"),
            StockUnit.part.description.as_alias("description"),
            StockUnit.box_number,
            StockUnit.batch_number,
        )
        .where(StockUnit.box_number == box_number)
        .order_by(StockUnit.id)
        .limit(MAX_LABELS + 1)
    )
    if not rows:
        raise NotFound(f"box {box_number} holds no unit", field="box_number")
    box = Label(
        kind="box",
        code=box_number,
        part_numbers=tuple(sorted({row["part_number"] for row in rows})),
        batch_numbers=tuple(sorted({row["batch_number"] for row in rows})),
        units=len(rows),
    )
    return _capped([box, *(_unit_label(row) for row in rows)])


async def batch_labels(batch_number: str) -> list[Label]:
    """One label for a factory batch, of serialized units or of bulk stock.

    Raises:
        NotFound: nothing of that batch is known.
    """
    units = await StockUnit.count().where(StockUnit.batch_number == batch_number)
    unit_parts = (
        await StockUnit.select(StockUnit.part.part_number.as_alias("part_number"))
        .where(StockUnit.batch_number == batch_number)
        .distinct()
        .limit(10)
    )
    bulk = (
        await BulkStock.select(BulkStock.part.part_number.as_alias("part_number"))
        .where(BulkStock.batch_number == batch_number)
        .distinct()
        .limit(10)
    )
    parts = sorted({row["part_number"] for row in [*unit_parts, *bulk]})
    if not parts:
        raise NotFound(f"batch {batch_number} is not known", field="batch_number")
    return [Label(kind="batch", code=batch_number, part_numbers=tuple(parts), units=units)]


async def bin_labels(bins: list[str]) -> list[Label]:
    """A label per storage bin, each named ``DEPOT/LOCATION`` (``SHA-C/A-01-03``) in a depot that exists.

    Raises:
        InvalidRequest: a bin is not ``DEPOT/LOCATION``.
        NotFound: a depot named does not exist.
    """
    named = []
    for code in bins:
        depot, _, location = code.partition("/")
        if not depot or not BIN_LOCATION.match(location):
            raise InvalidRequest(
                f"a bin is DEPOT/LOCATION (letters, digits, '.', '_', '-'), not {code!r}", field="bins"
            )
        named.append((depot, location))
    rows = await Depot.select(Depot.code, Depot.name).where(Depot.code.is_in(sorted({d for d, _ in named})))
    names = {row["code"]: row["name"] for row in rows}
    unknown = sorted({depot for depot, _ in named} - set(names))
    if unknown:
        raise NotFound(f"no depot {', '.join(unknown)}", field="bins", depots=unknown)
    return _capped(
        [
            Label(kind="bin", code=f"{depot}/{location}", depot=depot, depot_name=names[depot])
            for depot, location in named
        ]
    )


def _capped(labels: list[Label]) -> list[Label]:
    if len(labels) > MAX_LABELS:
        raise InvalidRequest(f"a sheet holds at most {MAX_LABELS} labels; print it in parts", field="labels")
    return labels


__all__ = ["MAX_LABELS", "Label", "batch_labels", "bin_labels", "box_labels", "unit_labels"]
