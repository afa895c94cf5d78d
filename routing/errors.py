"""Routing errors. They carry data, never HTTP status codes; the API maps them in one place.

RoutingError                 base of every error the routing core raises
├── InvalidProblem           the problem is malformed (bad index, negative time, unknown id) (422)
│   └── ProblemTooLarge      more stops or vehicles, or a longer time limit, than the service allows (422)
└── NoSolution               the solver found no plan within its time limit (pinned visits that cannot hold)
    └── InfeasiblePlan       a solver returned a plan the independent checker rejects (a bug, not user input)

Stops that cannot be served are not errors: they come back in ``RoutePlan.unassigned`` with a reason.
"""

from __future__ import annotations

from typing import Any


class RoutingError(Exception):
    """Base of every error the routing core raises."""

    code = "routing-error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidProblem(RoutingError):
    """The problem is malformed: an index out of range, a negative duration, a duplicate or unknown id."""

    code = "invalid-routing-problem"


class ProblemTooLarge(InvalidProblem):
    """More stops or vehicles, or a longer time limit, than one synchronous solve allows."""

    code = "routing-problem-too-large"


class NoSolution(RoutingError):
    """No plan was found within the time limit (only possible when some visits may not be dropped)."""

    code = "routing-no-solution"


class InfeasiblePlan(NoSolution):
    """A solver returned a plan that the independent checker rejects; the plan is never handed out."""

    code = "routing-infeasible-plan"


class SolverOverran(RoutingError):
    """The solver ran past its time limit and the margin allowed for building the problem; its process
    was killed and nothing was kept."""

    code = "routing-solver-overran"


class SolverCrashed(RoutingError):
    """The solver's process ended abnormally (killed from outside, out of memory, a crash of a solver
    library); nothing was kept."""

    code = "routing-solver-crashed"


class SolveAborted(RoutingError):
    """The solve was not finished: the service stopped or restarted during it, or it failed again and
    again for want of the database. Asking again starts a new solve."""

    code = "routing-solve-aborted"
