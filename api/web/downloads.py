"""Downloads of a screen's rows: CSV streamed a batch at a time.

A CSV starts with a UTF-8 byte order mark: without it, spreadsheet programs on Chinese systems read the
file in the system's code page and show part names and depots as mojibake; with it, both they and
Python's ``utf-8-sig`` read it right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence

from litestar.response import Stream

BOM = "\ufeff"


def csv_download(
    columns: Sequence[str], batches: AsyncIterable[Iterable[Sequence[object]]], filename: str
) -> Stream:
    """A streamed CSV attachment named ``filename``: the header ``columns``, then the rows of each batch
    as the batch arrives (CRLF line ends, as RFC 4180 has them)."""

    async def lines() -> AsyncIterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        out.write(BOM)
        writer.writerow(columns)
        async for batch in batches:
            writer.writerows(batch)
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        if out.tell():
            yield out.getvalue()

    return Stream(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
