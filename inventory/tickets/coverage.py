"""An asset's warranty end and coverage phase, from its acceptance and the downtime of its tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from inventory.customers import service as customers
from inventory.customers.records import AssetRecord
from inventory.customers.tables import Asset
from inventory.customers.warranty import (
    Coverage,
    Downtime,
    PartsCharge,
    add_years,
    coverage,
    parts_charge,
    total_downtime,
)
from inventory.errors import NotFound
from inventory.tickets.tables import InstalledPart, Ticket


@dataclass(frozen=True, slots=True)
class DowntimePeriod:
    """The downtime of one of the asset's tickets: it extends the warranty unless the user caused it."""

    ticket: int
    downtime: Downtime

    @property
    def extends_warranty(self) -> bool:
        return not self.downtime.user_caused

    def length(self, as_of: datetime) -> timedelta:
        """From the report to the restore (to ``as_of`` while not restored)."""
        end = self.downtime.ended_at or as_of
        return max(timedelta(0), end - self.downtime.started_at)


@dataclass(frozen=True, slots=True)
class CoveredAsset:
    """An asset with its warranty end and coverage phase as at a time (see `asset_coverage`), and the
    downtime of its tickets, oldest first (`downtime`), which the warranty end counts."""

    asset: AssetRecord
    coverage: Coverage
    downtime: tuple[DowntimePeriod, ...] = ()
    extension: timedelta = timedelta(0)
    """How much the downtime extends the warranty (overlaps counted once), before rounding up to days."""
    as_of: datetime | None = None
    """When the coverage was computed: the end of the downtime of tickets not yet restored."""

    @property
    def base_end(self) -> date:
        """The warranty's end without extensions: acceptance plus the warranty years."""
        return add_years(self.asset.accepted_on, self.asset.warranty_years)

    @property
    def parts_charge(self) -> PartsCharge | None:
        """What a replacement part costs in the asset's coverage phase; None once coverage has ended."""
        return parts_charge(self.coverage.phase)


async def list_covered_assets(
    *, customer: str | None, viewer: str | None, limit: int, offset: int, now: datetime
) -> list[CoveredAsset]:
    """A page of assets (`inventory.customers.service.list_assets`) with their coverage: two queries
    whatever the size of the page."""
    return await covered(
        await customers.list_assets(customer=customer, viewer=viewer, limit=limit, offset=offset), now
    )


async def get_covered_asset(serial: str, *, viewer: str | None, now: datetime) -> CoveredAsset:
    """One asset with its coverage.

    Raises:
        NotFound: no such asset, or not the viewer's company's.
    """
    (asset,) = await covered([await customers.get_asset(serial, viewer=viewer)], now)
    return asset


async def covered(assets: Sequence[AssetRecord], now: datetime) -> list[CoveredAsset]:
    """The assets with their coverage, from one query for the downtime of all of them."""
    if not assets:
        return []
    rows = (
        await Ticket.select(
            Ticket.id,
            Ticket.asset.serial.as_alias("asset_serial"),
            Ticket.reported_at,
            Ticket.restored_at,
            Ticket.user_caused,
        )
        .where(  # by the ids of the serials: the index of an asset's tickets, not a scan of them all
            Ticket.asset.is_in(Asset.select(Asset.id).where(Asset.serial.is_in([a.serial for a in assets])))
        )
        .order_by(Ticket.reported_at, Ticket.id)
    )
    periods: dict[str, list[DowntimePeriod]] = {asset.serial: [] for asset in assets}
    for row in rows:
        periods[row["asset_serial"]].append(
            DowntimePeriod(row["id"], Downtime(row["reported_at"], row["restored_at"], row["user_caused"]))
        )
    covered_assets = []
    for asset in assets:
        downtimes = [period.downtime for period in periods[asset.serial]]
        covered_assets.append(
            CoveredAsset(
                asset,
                coverage(now.date(), asset.accepted_on, asset.warranty_years, downtimes, as_of=now),
                tuple(periods[asset.serial]),
                total_downtime(downtimes, as_of=now),
                now,
            )
        )
    return covered_assets


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
