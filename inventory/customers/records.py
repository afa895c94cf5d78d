"""Read models of the customers app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    code: str
    name: str
    tier: str
    delivery_service: str
    support_hours: str
    secure_media_retention: bool
    account_manager: str = ""
    second_line_engineer: str = ""
    classification_level: str = ""
    account_manager_contact: str = ""
    """How to reach the account manager (telephone, e-mail)."""
    second_line_contact: str = ""
    """How to reach the second-line engineer."""
    active: bool = True


@dataclass(frozen=True, slots=True)
class SiteRecord:
    customer: str
    code: str
    name: str
    address: str
    latitude: float
    longitude: float
    timezone: str
    calendar_region: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class AssetRecord:
    serial: str
    model: str
    customer: str
    site: str
    accepted_on: date
    warranty_years: int
