"""Changes to master data: every field optional, only those given are changed; ``active: false``
deactivates (nothing is deleted)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from api.schemas.base import Money, RequestModel, Text, TimeOfDay, TimeZoneName, choice
from inventory.stock import DepotKind


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
    order_cutoff: TimeOfDay | None = Field(default=None, description="Local time; e.g. 17:00.")
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


def _refuse_nulls(patch: MasterDataPatch) -> None:
    """A field given must have a value: ``null`` would erase what every record needs."""
    nulls = sorted(name for name in patch.model_fields_set if getattr(patch, name) is None)
    if nulls:
        raise ValueError(f"{', '.join(nulls)} cannot be null")


__all__ = ["DepotPatch", "MasterDataPatch", "PartPatch"]
