"""Who may do what: the roles of the service, and the signed-in user a request acts for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    WAREHOUSE = "warehouse"
    DISPATCHER = "dispatcher"
    COMPLIANCE = "compliance"
    CUSTOMER = "customer"


STAFF = (Role.ADMIN, Role.WAREHOUSE, Role.DISPATCHER, Role.COMPLIANCE)
EVERYONE = (*STAFF, Role.CUSTOMER)


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user a request acts for."""

    id: int
    username: str
    role: Role
    customer_id: int | None
    customer_code: str | None

    @property
    def viewer(self) -> str | None:
        """The company a customer user is confined to; None for staff, who see every company."""
        return self.customer_code if self.role is Role.CUSTOMER else None
