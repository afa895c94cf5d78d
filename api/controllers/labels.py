"""Printable label sheets of units, boxes, batches and storage bins."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.enums import MediaType
from litestar.params import QueryParameter
from litestar.response import Template

from api.labels import label_sheet
from api.security import allow
from inventory import labels
from inventory.accounts import STAFF
from inventory.errors import InvalidRequest

MAX_QUERY_CODES = labels.MAX_LABELS


def codes_of(text: str, field: str) -> list[str]:
    """Comma-separated codes, each trimmed, in order, without repeats.

    Raises:
        InvalidRequest: none, or more than a sheet holds.
    """
    codes = list(dict.fromkeys(code.strip() for code in text.split(",") if code.strip()))
    if not codes:
        raise InvalidRequest(f"name at least one code in {field}", field=field)
    if len(codes) > MAX_QUERY_CODES:
        raise InvalidRequest(f"at most {MAX_QUERY_CODES} codes in {field}", field=field)
    return codes


async def labels_for(
    *, serials: str | None, box_number: str | None, batch_number: str | None, bins: str | None
) -> tuple[list[labels.Label], str]:
    """The labels asked for (exactly one of the four) and the sheet's title.

    Raises:
        InvalidRequest: none or several of them named.
    """
    asked = {"serials": serials, "box_number": box_number, "batch_number": batch_number, "bins": bins}
    named = [name for name, value in asked.items() if value]
    if len(named) != 1:
        raise InvalidRequest("name exactly one of serials, box_number, batch_number or bins", field="serials")
    if serials:
        return await labels.unit_labels(codes_of(serials, "serials")), serials
    if box_number:
        return await labels.box_labels(box_number.strip()), box_number
    if batch_number:
        return await labels.batch_labels(batch_number.strip()), batch_number
    return await labels.bin_labels(codes_of(bins or "", "bins")), bins or ""


def _codes(description: str, max_length: int = 200) -> object:
    return QueryParameter(min_length=1, max_length=max_length, description=description)


class LabelController(Controller):
    path = "/labels"
    tags = ["stock"]
    guards = [allow(*STAFF)]

    @get(
        operation_id="printLabels",
        summary="Print a label sheet",
        description=(
            "A printable HTML sheet of labels (A4, 3 by 8 labels of 70 by 37 mm), each with its code as a QR "
            "code and, for printable ASCII, a Code 128 barcode, both PNG images at 300 dpi, and the lines "
            "that say what it is. Name exactly one of: `serials` (comma-separated: a label per unit), "
            "`box_number` (the box's label, then one per unit in it), `batch_number` (the batch's label) "
            "or `bins` (comma-separated `DEPOT/LOCATION`: a label per storage bin). At most 500 labels. "
            "Each code, scanned, is found again by `GET /api/v1/scan/{code}`. Changes nothing."
        ),
        media_type=MediaType.HTML,
    )
    async def print_labels(
        self,
        serials: Annotated[str | None, _codes("Serials, comma-separated.", 20_000)] = None,
        box_number: Annotated[str | None, _codes("A box number.")] = None,
        batch_number: Annotated[str | None, _codes("A factory batch number.")] = None,
        bins: Annotated[str | None, _codes("Bins as DEPOT/LOCATION, comma-separated.", 20_000)] = None,
    ) -> Template:
        """A printable sheet of labels with QR codes and Code 128 barcodes."""
        found, title = await labels_for(
            serials=serials, box_number=box_number, batch_number=batch_number, bins=bins
        )
        return label_sheet(found, title=title)
