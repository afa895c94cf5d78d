"""The spare-part delivery promise as a due window: next business day or within 4 hours. Plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from inventory.calendars import BusinessCalendar, to_utc
from inventory.tickets.sla import SupportHours

FOUR_HOURS = timedelta(hours=4)
DEFAULT_CUTOFF = time(17)
NBD_HOLD_GRACE = timedelta(hours=24)
"""How long after its delivery window a next-business-day reservation is still held, by default."""


class DeliveryService(StrEnum):
    NBD = "nbd"
    FOUR_HOURS = "4h"


@dataclass(frozen=True, slots=True)
class DeliveryWindow:
    """The part must arrive between ``due_from`` and ``due_by`` (UTC)."""

    service: DeliveryService
    due_from: datetime
    due_by: datetime


def delivery_window(
    service: DeliveryService,
    requested_at: datetime,
    *,
    depot_calendar: BusinessCalendar,
    site_calendar: BusinessCalendar,
    support_hours: SupportHours,
    cutoff: time = DEFAULT_CUTOFF,
) -> DeliveryWindow:
    """When a part ordered at ``requested_at`` is due at the site.

    NBD: an order placed on a depot working day strictly before ``cutoff`` (depot local time) counts
    from that day, any other order from the depot's next working day; the part is due during business
    hours (site opening to closing, site local time) of the site's first working day after that.

    4 h: due from ``requested_at`` until 4 hours later, on the wall clock for 7x24 customers and in
    business time of the site calendar for business-hours customers.

    Args:
        service: the customer's delivery option.
        requested_at: when the part was ordered (aware).
        depot_calendar: calendar of the shipping depot; decides the order day.
        site_calendar: calendar of the customer's site; decides the delivery day and hours.
        support_hours: the customer's support hours (matters for 4 h only).
        cutoff: the depot's order cut-off, local time.

    Returns:
        The window, in UTC.

    Raises:
        ValueError: a naive ``requested_at``, an unknown service or support hours.
    """
    requested_at = to_utc(requested_at, "requested_at")
    service, support_hours = DeliveryService(service), SupportHours(support_hours)
    if service is DeliveryService.FOUR_HOURS:
        if support_hours is SupportHours.ALWAYS:
            due_by = requested_at + FOUR_HOURS
        else:
            due_by = site_calendar.add_business_time(requested_at, FOUR_HOURS)
        return DeliveryWindow(service, requested_at, due_by)
    local = requested_at.astimezone(depot_calendar.timezone)
    order_day = local.date()
    if not (depot_calendar.is_working_day(order_day) and local.time() < cutoff):
        order_day = depot_calendar.next_business_day(order_day)
    delivery_day = site_calendar.next_business_day(order_day)
    return DeliveryWindow(
        service,
        site_calendar.opening_on(delivery_day).astimezone(UTC),
        site_calendar.closing_on(delivery_day).astimezone(UTC),
    )


def hold_until(
    service: DeliveryService, due_by: datetime, *, now: datetime, ttl: timedelta, grace: timedelta
) -> datetime:
    """Until when a reservation made at ``now`` holds its part: ``ttl`` from now, and a next-business-day
    one at least until its delivery window (ending ``due_by``) has passed plus ``grace``, so that it
    never expires inside its own window."""
    held = now + ttl
    if service is DeliveryService.NBD:
        return max(held, due_by + grace)
    return held
