"""Label printing for the warehouse (``/labels``): the same printable sheet as ``GET /api/v1/labels``,
opened from a unit's page (its label), a box's page (the box and its units) or a batch's page."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get
from litestar.params import QueryParameter

from api.labels import MAX_CODES_TEXT, label_sheet, labels_for
from api.security import allow
from inventory.accounts import Role

PRINTERS = (Role.WAREHOUSE, Role.ADMIN)


@get("/labels", name="labels", guards=[allow(*PRINTERS)])
async def labels_page(
    serials: Annotated[str | None, QueryParameter(max_length=MAX_CODES_TEXT)] = None,
    box_number: Annotated[str | None, QueryParameter(max_length=200)] = None,
    batch_number: Annotated[str | None, QueryParameter(max_length=200)] = None,
    bins: Annotated[str | None, QueryParameter(max_length=MAX_CODES_TEXT)] = None,
) -> Any:
    """A printable sheet of labels: of units, a box and its units, a batch, or storage bins."""
    found, title = await labels_for(
        serials=serials, box_number=box_number, batch_number=batch_number, bins=bins
    )
    return label_sheet(found, title=title)


ROUTES = [labels_page]
