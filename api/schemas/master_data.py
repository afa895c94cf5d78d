"""Changes to master data: every field optional, only those given are changed; ``active: false``
deactivates (nothing is deleted)."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from api.schemas.base import Code, Money, RequestModel, Text, TimeOfDay, TimeZoneName, choice
from inventory.stock import DepotKind
from inventory.tickets import Tier


class MasterDataPatch(RequestModel):
    """A change: at least one field, and only those given are changed."""

    @model_validator(mode="after")
    def _something(self) -> MasterDataPatch:
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        return self

    def fields(self) -> dict[str, Any]:
        """The fields given, with their values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class DepotPatch(MasterDataPatch):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    kind: Annotated[DepotKind, choice(DepotKind)] | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    timezone: TimeZoneName | None = None
    calendar_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")] | None = None
    order_cutoff: TimeOfDay = Field(
        default=time(17, 0), description="Local time after which an order ships a day later, e.g. 17:00."
    )
    """Not nullable in the document: only the fields a request gives are changed."""
    active: bool | None = Field(default=None, description="false: takes no new work; true: again.")

    @model_validator(mode="after")
    def _no_nulls(self) -> DepotPatch:
        _refuse_nulls(self)
        return self


class PartPatch(MasterDataPatch):
    description: Text | None = None
    category: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    secure_media: bool | None = None
    unit_cost: Money | None = None
    weight_kg: float | None = Field(default=None, ge=0, le=10_000)
    volume_l: float | None = Field(default=None, ge=0, le=100_000)
    active: bool | None = Field(default=None, description="false: no longer received, sent or reserved.")

    @model_validator(mode="after")
    def _no_nulls(self) -> PartPatch:
        _refuse_nulls(self)
        return self


class CustomerPatch(MasterDataPatch):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    tier: Annotated[Tier, choice(Tier)] | None = None
    delivery_service: Literal["nbd", "4h"] | None = None
    support_hours: Literal["business", "7x24"] | None = None
    secure_media_retention: bool | None = None
    account_manager: Annotated[str, StringConstraints(max_length=100)] | None = None
    second_line_engineer: Annotated[str, StringConstraints(max_length=100)] | None = None
    classification_level: Annotated[str, StringConstraints(max_length=32)] | None = None
    active: bool | None = Field(default=None, description="false: opens no new tickets; true: again.")

    @model_validator(mode="after")
    def _no_nulls(self) -> CustomerPatch:
        _refuse_nulls(self)
        return self

    def fields(self) -> dict[str, Any]:
        return {
            name: value.value if isinstance(value, Tier) else value
            for name, value in super().fields().items()
        }


class SitePatch(MasterDataPatch):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    address: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    timezone: TimeZoneName | None = None
    calendar_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")] | None = None
    active: bool | None = Field(default=None, description="false: gets no new tickets; true: again.")

    @model_validator(mode="after")
    def _no_nulls(self) -> SitePatch:
        _refuse_nulls(self)
        return self


class AssetPatch(MasterDataPatch):
    model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    site: Code | None = Field(default=None, description="Another site of the same customer.")
    warranty_years: int | None = Field(default=None, ge=0, le=30)

    @model_validator(mode="after")
    def _no_nulls(self) -> AssetPatch:
        _refuse_nulls(self)
        return self


def _refuse_nulls(patch: MasterDataPatch) -> None:
    """A field given must have a value: ``null`` would erase what every record needs."""
    nulls = sorted(name for name in patch.model_fields_set if getattr(patch, name) is None)
    if nulls:
        raise ValueError(f"{', '.join(nulls)} cannot be null")


__all__ = ["AssetPatch", "CustomerPatch", "DepotPatch", "MasterDataPatch", "PartPatch", "SitePatch"]
