"""Printable label sheets of units, boxes, batches and storage bins."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.enums import MediaType
from litestar.params import QueryParameter
from litestar.response import Template

from api.labels import MAX_CODES_TEXT, label_sheet, labels_for
from api.security import allow
from inventory.accounts import STAFF


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
            "or `bins` (comma-separated `DEPOT/LOCATION`: a label per storage bin); a list of serials or "
            "bins has at most 1,500 characters. At most 500 labels. Each code, scanned, is found again by "
            "`GET /api/v1/scan/{code}`. Changes nothing."
        ),
        media_type=MediaType.HTML,
    )
    async def print_labels(
        self,
        serials: Annotated[
            str | None, _codes("Serials, comma-separated (at most 1,500 characters).", MAX_CODES_TEXT)
        ] = None,
        box_number: Annotated[str | None, _codes("A box number.")] = None,
        batch_number: Annotated[str | None, _codes("A factory batch number.")] = None,
        bins: Annotated[
            str | None,
            _codes("Bins as DEPOT/LOCATION, comma-separated (at most 1,500 characters).", MAX_CODES_TEXT),
        ] = None,
    ) -> Template:
        """A printable sheet of labels with QR codes and Code 128 barcodes."""
        found, title = await labels_for(
            serials=serials, box_number=box_number, batch_number=batch_number, bins=bins
        )
        return label_sheet(found, title=title)
