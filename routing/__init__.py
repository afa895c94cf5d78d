"""Delivery routes and engineer dispatch: travel model, solvers and plans."""

from routing.errors import (
    InfeasiblePlan,
    InvalidProblem,
    NoSolution,
    RoutingError,
    SolveAborted,
    SolverCrashed,
    SolverOverran,
)
from routing.fleet import (
    EngineerRecord,
    VehicleRecord,
    add_engineer,
    add_inspection,
    add_vehicle,
    list_engineers,
    list_inspections,
    list_vehicles,
)
from routing.model import Limits
from routing.osrm import SourceMatrix, matrix_source
from routing.plan_store import DISPATCH, NBD, PlanView, StopView, commit_plan, get_plan
from routing.planning import (
    PlanningPolicy,
    SolvedPlan,
    UrgentResult,
    keep_plan,
    solve_dispatch_day,
    solve_nbd_day,
    urgent_delivery,
)
from routing.solver_pool import SolverPool, warm_up

__all__ = [
    "DISPATCH",
    "NBD",
    "EngineerRecord",
    "InfeasiblePlan",
    "InvalidProblem",
    "Limits",
    "NoSolution",
    "PlanView",
    "PlanningPolicy",
    "RoutingError",
    "SolveAborted",
    "SolvedPlan",
    "SolverCrashed",
    "SolverOverran",
    "SolverPool",
    "SourceMatrix",
    "StopView",
    "UrgentResult",
    "VehicleRecord",
    "add_engineer",
    "add_inspection",
    "add_vehicle",
    "commit_plan",
    "get_plan",
    "keep_plan",
    "list_engineers",
    "list_inspections",
    "list_vehicles",
    "matrix_source",
    "solve_dispatch_day",
    "solve_nbd_day",
    "urgent_delivery",
    "warm_up",
]
