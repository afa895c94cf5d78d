"""The navigation of the pages: which screens each role's header and home page link to.

One table, `NAVIGATION`, in the order the links show. An entry names the roles that may see its screen;
they must be the roles the screen's guard admits (a page test checks every entry whose route exists), so
nobody gets a link to a page that would answer 403. Add a screen's entry here when you add the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from inventory.accounts import Role
from presentation import N_

ADMIN = Role.ADMIN
WAREHOUSE = Role.WAREHOUSE
DISPATCHER = Role.DISPATCHER
COMPLIANCE = Role.COMPLIANCE
CUSTOMER = Role.CUSTOMER


@dataclass(frozen=True, slots=True)
class Link:
    """A screen in the navigation: its path, its name and a line saying what it is for (English
    message ids), the area of the pages it belongs to, and the roles that may open it."""

    path: str
    label: str
    description: str
    area: str
    roles: frozenset[Role]


def link(path: str, label: str, description: str, area: str, *roles: Role) -> Link:
    return Link(path, label, description, area, frozenset(roles))


NAVIGATION: tuple[Link, ...] = (
    link("/stock", N_("Stock"), N_("On hand, reserved, in transit and defective, per part and depot"),
         "warehouse", WAREHOUSE, ADMIN),
    link("/receipts/new", N_("Receive"), N_("Receive a delivery by scanning its boxes and serials"),
         "warehouse", WAREHOUSE, ADMIN),
    link("/notices", N_("Shipping notices"),
         N_("Deliveries announced unit by unit: receive them by scanning"), "inbound", WAREHOUSE, ADMIN),
    link("/counts", N_("Counts"), N_("Count a depot's shelves; a second person approves the corrections"),
         "inbound", WAREHOUSE, ADMIN),
    link("/write-offs", N_("Write-offs"), N_("Units scrapped or lost: one person asks, a second approves"),
         "write_offs", WAREHOUSE, ADMIN),
    link("/returns", N_("Returns"), N_("Failed units expected back from customers, and returns to vendors"),
         "inbound", WAREHOUSE, ADMIN),
    link("/transfers", N_("Transfers"), N_("Parts moving between depots: dispatch and receive"),
         "warehouse", WAREHOUSE, ADMIN),
    link("/stock/units", N_("Units"), N_("Serialized units by part, depot, box or batch: a batch recall"),
         "stock_lists", WAREHOUSE, ADMIN),
    link("/stock/batches", N_("Bulk batches"), N_("Counted stock per batch at each depot"),
         "stock_lists", WAREHOUSE, ADMIN),
    link("/stock/movements", N_("Movements"), N_("The ledger of every change of stock, searchable"),
         "stock_lists", WAREHOUSE, ADMIN),
    link("/receipts", N_("Goods receipts"), N_("Supplier deliveries booked in, by depot, supplier and day"),
         "stock_lists", WAREHOUSE, ADMIN),
    link("/reservations", N_("Picking"), N_("Parts reserved for tickets, soonest due first"),
         "warehouse", WAREHOUSE, ADMIN),
    link("/replenishment", N_("Replenishment"), N_("What each depot should order now, and its policies"),
         "replenishment", WAREHOUSE, ADMIN),
    link("/tickets", N_("Tickets"), N_("Open tickets by time left to their next SLA milestone"),
         "tickets", DISPATCHER, ADMIN, WAREHOUSE, COMPLIANCE),
    link("/dispatch", N_("Dispatch board"), N_("Plan vans and engineers on the map and the timeline"),
         "dispatch", DISPATCHER, ADMIN),
    link("/dispatch/attention", N_("Needs attention"), N_("Tickets that lost what was arranged for them"),
         "attention", DISPATCHER, ADMIN),
    link("/replacements", N_("Replacement requests"),
         N_("Customers' part requests that no depot can deliver in time: reserve or refuse"),
         "replacements", DISPATCHER, ADMIN),
    link("/portal", N_("My service"), N_("Your open tickets, assets and warranty"),
         "portal", CUSTOMER),
    link("/compliance/retentions", N_("Retained media"),
         N_("Replaced data-bearing parts, kept or returned, until their sanitization is verified"),
         "compliance", COMPLIANCE, ADMIN),
    link("/compliance/policies", N_("Sanitization policies"),
         N_("Which methods sanitize the media of each classification level"),
         "compliance", COMPLIANCE, ADMIN, WAREHOUSE, DISPATCHER),
    link("/compliance/audit", N_("Audit chain"), N_("Verify the audit chain and its signed checkpoints"),
         "compliance", COMPLIANCE, ADMIN),
)  # fmt: skip
"""Every screen in the navigation. The customer portal is the customers' own: staff, the administrator
included, see customers' tickets and assets through the staff screens."""


def links_for(role: Role) -> list[Link]:
    """The screens ``role`` may open, in navigation order."""
    return [entry for entry in NAVIGATION if role in entry.roles]
