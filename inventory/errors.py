"""Domain errors. They carry data, never HTTP status codes; the API maps them in one place.

DomainError
├── NotFound                 a named thing does not exist (or is not visible to the caller)
├── Conflict                 the request clashes with the current state
│   ├── AlreadyExists        a unique code, number or serial is taken
│   │   └── DuplicateDelivery  a supplier's delivery note was booked in before
│   ├── InsufficientStock    not enough stock in the needed state
│   ├── InvalidTransition    the thing is not in a state that allows this
│   │   └── SuggestionAccepted  a replenishment suggestion was accepted before
│   └── SuggestionStale      a replenishment suggestion no longer matches the stock
├── NotPermitted             the caller may not make this change
│   └── SecondPersonRequired an approval by the person who asked for or did the work
├── InvalidRequest           the request breaks a domain rule (422)
│   ├── IdempotencyKeyReused an Idempotency-Key sent again with a different request
│   └── SerialMismatch       a returned unit's serial is not the one recorded as failed
└── Throttled                too many attempts within a time window; ``retry_after_s`` says when to retry
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a domain rule raises."""

    code = "domain-error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """A named thing does not exist, or the caller may not see it."""

    code = "not-found"


class Conflict(DomainError):
    """The request clashes with the current state of the data."""

    code = "conflict"


class AlreadyExists(Conflict):
    """A unique code, number or serial is already taken."""

    code = "already-exists"


class DuplicateDelivery(AlreadyExists):
    """The same supplier's delivery note (supplier and reference) was already booked in."""

    code = "duplicate-delivery"


class InsufficientStock(Conflict):
    """Not enough stock in the required state at the required place."""

    code = "insufficient-stock"


class Inactive(Conflict):
    """A deactivated depot, part, customer or site is named for new work (it stays readable)."""

    code = "inactive"


class InvalidTransition(Conflict):
    """The thing is not in a state that allows the requested change."""

    code = "invalid-transition"


class SuggestionAccepted(InvalidTransition):
    """A replenishment suggestion was already accepted."""

    code = "suggestion-accepted"


class SuggestionStale(Conflict):
    """A replenishment suggestion rests on stock, policies or forecasts that have changed since."""

    code = "suggestion-stale"


class NotPermitted(DomainError):
    """The caller's role may not make this change (a rule of the domain, not of the route)."""

    code = "not-permitted"


class SecondPersonRequired(NotPermitted):
    """An approval must come from a second person: not the one who asked for the change or did the work
    it books."""

    code = "second-person-required"


class InvalidRequest(DomainError):
    """The request is well-formed but breaks a domain rule."""

    code = "invalid-request"


class IdempotencyKeyReused(InvalidRequest):
    """The key was already used for a request with a different body."""

    code = "idempotency-key-reused"


class SerialMismatch(InvalidRequest):
    """A unit handed in as a return is not the unit recorded as failed; ``expected`` and ``returned``
    name both serials."""

    code = "serial-mismatch"


class Throttled(DomainError):
    """Too many attempts within a time window; the caller may try again after ``retry_after_s`` seconds
    (a detail of the error, at least 1)."""

    code = "throttled"

    def __init__(self, message: str, *, retry_after_s: int, **details: Any) -> None:
        super().__init__(message, retry_after_s=max(1, int(retry_after_s)), **details)

    @property
    def retry_after_s(self) -> int:
        return self.details["retry_after_s"]


__all__ = [
    "AlreadyExists",
    "Conflict",
    "DomainError",
    "DuplicateDelivery",
    "IdempotencyKeyReused",
    "InsufficientStock",
    "InvalidRequest",
    "InvalidTransition",
    "NotFound",
    "NotPermitted",
    "SecondPersonRequired",
    "SerialMismatch",
    "SuggestionAccepted",
    "SuggestionStale",
    "Throttled",
]
