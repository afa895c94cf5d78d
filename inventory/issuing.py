"""Issuing a reservation: the parts go into the customer's asset, and the unit they replace is either
expected back at the depot or, for a secure-media part of a customer who keeps such parts, stays with the
customer under a retention record. A secure-media part that comes back is tracked from here to its
sanitization at the depot under a depot-custody record. One transaction, above both the tickets and the
secure-media packages.
"""

from __future__ import annotations

from datetime import datetime

from inventory.customers.tables import Customer
from inventory.persistence import write_transaction
from inventory.secure_media.service import retain_failed_unit, track_returned_unit
from inventory.stock.tables import Part
from inventory.tickets.records import ReservationRecord
from inventory.tickets.reservation_views import get_reservation
from inventory.tickets.reservations import HandedOut, expect_return, hand_out


async def issue(
    reservation_id: int,
    *,
    serial: str | None,
    failed_serial: str | None,
    actor: str,
    now: datetime,
    destruction_days: int = 30,
) -> ReservationRecord:
    """Hand the reserved parts out for the ticket; ``failed_serial`` is the unit taken out of the asset.

    It is expected back at the depot as a defective return, unless the part is secure media and the
    customer keeps such parts: then a retention record (destruction due in ``destruction_days``) opens
    in the same transaction. A secure-media part that comes back gets a depot-custody record (its
    sanitization due in ``destruction_days``) in the same transaction.

    Raises:
        NotFound: no such reservation.
        InvalidTransition: it is not active.
        InvalidRequest: ``serial`` is not what the reservation holds.
    """
    async with write_transaction():
        handed = await hand_out(
            reservation_id, serial=serial, failed_serial=failed_serial, actor=actor, now=now
        )
        if failed_serial is not None:
            keeps, secure = await _secure_and_kept(handed)
            if keeps:
                await retain_failed_unit(
                    ticket_id=handed.ticket,
                    part_id=handed.part,
                    failed_serial=failed_serial,
                    actor=actor,
                    now=now,
                    destruction_days=destruction_days,
                )
            else:
                await expect_return(handed, failed_serial, now)
                if secure:
                    await track_returned_unit(
                        ticket_id=handed.ticket,
                        part_id=handed.part,
                        depot_id=handed.depot,
                        failed_serial=failed_serial,
                        actor=actor,
                        now=now,
                        destruction_days=destruction_days,
                    )
    return await get_reservation(reservation_id, viewer=None)


async def _secure_and_kept(handed: HandedOut) -> tuple[bool, bool]:
    """Whether the failed unit is secure media that this customer keeps, and whether it is secure media."""
    customer = (
        await Customer.select(Customer.secure_media_retention).where(Customer.id == handed.customer).first()
    )
    part = await Part.select(Part.secure_media).where(Part.id == handed.part).first()
    secure = bool(part["secure_media"])
    return bool(customer["secure_media_retention"]) and secure, secure


__all__ = [
    "issue",
]
