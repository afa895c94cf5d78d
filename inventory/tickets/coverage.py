"""An asset's warranty end and coverage phase, from its acceptance and the downtime of its tickets."""

from __future__ import annotations

from datetime import datetime

from inventory.customers.tables import Asset
from inventory.customers.warranty import Coverage, Downtime, coverage
from inventory.errors import NotFound
from inventory.tickets.tables import InstalledPart, Ticket


async def asset_coverage(asset_id: int, now: datetime) -> Coverage:
    """Warranty end (extended by the downtime of faults the user did not cause) and the phase today.

    Downtime runs from the fault report to the restore; an open ticket counts up to ``now``.

    Raises:
        NotFound: no such asset.
    """
    asset = await Asset.select(Asset.accepted_on, Asset.warranty_years).where(Asset.id == asset_id).first()
    if asset is None:
        raise NotFound(f"asset {asset_id} not found")
    tickets = await Ticket.select(Ticket.reported_at, Ticket.restored_at, Ticket.user_caused).where(
        Ticket.asset == asset_id
    )
    downtimes = [Downtime(t["reported_at"], t["restored_at"], t["user_caused"]) for t in tickets]
    return coverage(now.date(), asset["accepted_on"], asset["warranty_years"], downtimes, as_of=now)


async def asset_coverage_by_serial(serial: str, now: datetime) -> Coverage:
    """`asset_coverage` for an asset serial.

    Raises:
        NotFound: no such asset.
    """
    row = await Asset.select(Asset.id).where(Asset.serial == serial).first()
    if row is None:
        raise NotFound(f"asset {serial} not found")
    return await asset_coverage(row["id"], now)


async def installed_unit_coverage(
    part_number: str, serial: str, now: datetime
) -> tuple[str, Coverage] | None:
    """Where an issued unit was fitted and the coverage it carries: that of the asset (and so of the part
    it replaced), not a warranty of its own. None if the unit was never fitted into an asset.
    """
    row = (
        await InstalledPart.select(InstalledPart.asset, InstalledPart.asset.serial.as_alias("asset_serial"))
        .where(
            (InstalledPart.unit.serial == serial)
            & (InstalledPart.unit.part.part_number == part_number)
            & InstalledPart.asset.is_not_null()
        )
        .order_by(InstalledPart.id, ascending=False)
        .first()
    )
    if row is None:
        return None
    return row["asset_serial"], await asset_coverage(row["asset"], now)
