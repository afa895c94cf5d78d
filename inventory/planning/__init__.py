"""Replenishment planning: the depot hierarchy, stock policies, demand forecasts of intermittent demand
(`forecasting`, `demand_class`, `targets`) and the suggestions they make (`replenishment`)."""

from inventory.planning.demand_class import DemandClass, Method
from inventory.planning.recompute import recompute_forecasts
from inventory.planning.records import (
    AcceptedRecord,
    ForecastRecord,
    PolicyRecord,
    SuggestionRecord,
    SupplyRouteRecord,
)
from inventory.planning.replenishment import PolicyKind, SuggestionKind
from inventory.planning.service import (
    accept,
    list_policies,
    set_policy,
    set_supply_route,
    suggestions,
    supply_routes,
)

__all__ = [
    "AcceptedRecord",
    "DemandClass",
    "ForecastRecord",
    "Method",
    "PolicyKind",
    "PolicyRecord",
    "SuggestionKind",
    "SuggestionRecord",
    "SupplyRouteRecord",
    "accept",
    "list_policies",
    "recompute_forecasts",
    "set_policy",
    "set_supply_route",
    "suggestions",
    "supply_routes",
]
