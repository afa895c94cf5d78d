"""Label sheets: each label's code drawn as a QR code (segno) and, where it is printable ASCII, a Code 128
barcode (python-barcode), both as PNG images embedded in one printable HTML page."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

import segno
from barcode import Code128
from barcode.writer import ImageWriter
from litestar.enums import MediaType
from litestar.response import Template

from inventory import labels
from inventory.errors import InvalidRequest
from inventory.labels import Label
from presentation import N_, VOCABULARY

VOCABULARY.define(
    "label-kind",
    {"unit": N_("Unit"), "box": N_("Box"), "batch": N_("Batch"), "bin": N_("Storage bin")},
)

QR_SCALE = 4
"""Pixels per QR module: with the sheet's 300 dpi images, about 0.34 mm, well above what phones and
handheld scanners resolve."""
CODE128_OPTIONS = {
    "module_width": 0.25,
    "module_height": 9.0,
    "quiet_zone": 3.0,
    "dpi": 300,
    "write_text": False,
}
"""Bar width 0.25 mm, 9 mm high, the quiet zone of ten modules that ISO/IEC 15417 asks for; the code is
printed as text beside the bars by the sheet itself."""


@dataclass(frozen=True, slots=True)
class PrintedLabel:
    """A label with its symbols as ``data:`` URIs of PNG images (no Code 128 for codes it cannot carry)."""

    label: Label
    qr: str
    code128: str | None


def qr_png(code: str) -> bytes:
    """The code as a QR code (error correction level M, quiet zone of four modules), PNG."""
    buffer = io.BytesIO()
    segno.make_qr(code, error="m").save(buffer, kind="png", scale=QR_SCALE, border=4)
    return buffer.getvalue()


def code128_png(code: str) -> bytes | None:
    """The code as a Code 128 barcode, PNG; None for a code with characters outside printable ASCII."""
    if not (code.isascii() and code.isprintable()):
        return None
    buffer = io.BytesIO()
    Code128(code, writer=ImageWriter()).write(buffer, options=CODE128_OPTIONS)
    return buffer.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def printed(sheet: Sequence[Label]) -> list[PrintedLabel]:
    """Each label with its symbols drawn."""
    result = []
    for label in sheet:
        bars = code128_png(label.code)
        result.append(PrintedLabel(label, _data_uri(qr_png(label.code)), _data_uri(bars) if bars else None))
    return result


def label_sheet(sheet: Sequence[Label], *, title: str) -> Template:
    """The printable sheet (``api/templates/pages/labels/sheet.html``): labels of 70 by 37 mm, three
    across an A4 page, each with its QR code, its Code 128 and its lines."""
    return Template(
        template_name="pages/labels/sheet.html",
        context={"labels": printed(sheet), "title": title},
        media_type=MediaType.HTML,
    )


MAX_QUERY_CODES = labels.MAX_LABELS
MAX_CODES_TEXT = 1_500
"""Longest list of serials or bins in a query (about 100 serials): a request line stays well inside what
the server reads; larger sheets are printed by box or batch, or in parts."""


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
