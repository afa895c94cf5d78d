"""What a scanned code names, in one call: the scanner's look-up for staff."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlencode

from litestar import Controller, get
from litestar.params import FromPath

from api.schemas.labels import ScanMatchOut, ScanOut
from api.security import allow
from inventory import traceability
from inventory.accounts import STAFF
from inventory.errors import InvalidRequest, NotFound

MAX_CODE_LENGTH = 200
API = "/api/v1"


def api_address(match: traceability.CodeMatch) -> str:
    """The API resource of what a code names."""
    key = quote(match.key, safe="")
    if match.kind == "unit":
        return f"{API}/stock/units/{key}?{urlencode({'part_number': match.part_number})}"
    if match.kind == "box":
        return f"{API}/stock/units?{urlencode({'box_number': match.key})}"
    if match.kind == "batch":
        listing = "batches" if match.count == match.bulk else "units"  # bulk stock has no units to list
        return f"{API}/stock/{listing}?{urlencode({'batch_number': match.key})}"
    if match.kind == "depot":
        return f"{API}/depots/{key}"
    if match.kind == "bin":
        return f"{API}/depots/{quote(match.key.partition('/')[0], safe='')}"
    if match.kind == "ticket":
        return f"{API}/tickets/{key}"
    return f"{API}/reservations/{key}"


class ScanController(Controller):
    path = "/scan"
    tags = ["stock"]
    guards = [allow(*STAFF)]

    @get(
        "/{code:path}",
        operation_id="resolveScannedCode",
        summary="Resolve a scanned code",
        description=(
            "Everything a scanned code (a label's QR code or Code 128, or typed) names, each through an "
            "index: units with that serial (several parts may share one), a box, a factory batch (of "
            "units or of bulk stock), a depot, a storage bin (`DEPOT/LOCATION`), a ticket (`T-123` or "
            "`123`) or a reservation (`R-123`), "
            "each with the API address that shows it. 404 when it names nothing."
        ),
    )
    async def resolve(self, code: FromPath[Path]) -> ScanOut:
        """What a scanned code names; 404 when nothing. A bin's code has a slash: the rest of the path is
        the code."""
        code = str(code).lstrip("/").strip()
        if not code or len(code) > MAX_CODE_LENGTH:
            raise InvalidRequest(f"a code has 1 to {MAX_CODE_LENGTH} characters", field="code")
        matches = await traceability.resolve_code(code)
        if not matches:
            raise NotFound(f"code {code!r} names nothing known", field="code")
        return ScanOut(
            code=code,
            matches=[
                ScanMatchOut(
                    kind=match.kind,
                    key=match.key,
                    part_number=match.part_number,
                    count=match.count,
                    detail=match.detail,
                    href=api_address(match),
                )
                for match in matches
            ],
        )
