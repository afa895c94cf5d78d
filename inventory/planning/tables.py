"""Piccolo tables of the planning app: the depot hierarchy, stock policies, the stored demand forecasts
and the replenishment suggestions accepted.

The unique indexes on ``(depot, part)`` of a policy and of a forecast, and on the accepted suggestion's
id, are created by this app's migration (Piccolo cannot declare composite unique indexes).
"""

from __future__ import annotations

from piccolo.columns import DoublePrecision, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from inventory.persistence import SCOPED_ENGINE
from inventory.stock.tables import Depot, Part, Transfer


class SupplyRoute(Table, tablename="supply_route", db=SCOPED_ENGINE):
    """Where a depot's stock comes from: another depot (a transfer, ``lead_time_days`` on the way) or,
    with no ``supplier_depot``, the suppliers (a purchase: the top of the hierarchy)."""

    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict, unique=True)
    supplier_depot = ForeignKey(references=Depot, null=True, on_delete=OnDelete.restrict, default=None)
    lead_time_days = Integer()
    updated_at = Timestamptz()
    updated_by = Varchar(length=64)


class StockPolicy(Table, tablename="stock_policy", db=SCOPED_ENGINE):
    """How much of a part a depot keeps: ``min_max`` (below ``reorder_level`` order up to
    ``target_level``), ``reorder_point`` (at or below it), or ``auto`` (the levels of the part's stored
    forecast at the depot; both levels null)."""

    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    kind = Varchar(length=16)
    reorder_level = Integer(null=True, default=None)
    target_level = Integer(null=True, default=None)
    updated_at = Timestamptz()
    updated_by = Varchar(length=64)


class DemandForecast(Table, tablename="demand_forecast", db=SCOPED_ENGINE):
    """The forecast of a part's demand at a depot from its issue history, recomputed by the periodic job,
    and the stock levels it implies for the depot's service level over its lead time."""

    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    demand_class = Varchar(length=16)
    method = Varchar(length=16)
    per_week = DoublePrecision()
    adi = DoublePrecision(null=True, default=None)
    cv2 = DoublePrecision(null=True, default=None)
    demand_weeks = Integer()
    history_weeks = Integer()
    service_level = DoublePrecision()
    lead_time_days = Integer()
    reorder_level = Integer()
    target_level = Integer()
    computed_at = Timestamptz(index=True)


class AcceptedSuggestion(Table, tablename="accepted_suggestion", db=SCOPED_ENGINE):
    """A replenishment suggestion someone accepted, once (its id is unique): a transfer it created, or a
    purchase ordered from the suppliers (on order until stock of the part is received at the depot)."""

    suggestion = Varchar(length=64)
    kind = Varchar(length=16)
    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    quantity = Integer()
    transfer = ForeignKey(references=Transfer, null=True, on_delete=OnDelete.restrict, default=None)
    accepted_at = Timestamptz()
    accepted_by = Varchar(length=64)
