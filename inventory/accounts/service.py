"""User accounts: creation, listing, password sign-in and the principal a signed-in user acts as; the
answers kept for requests sent with an ``Idempotency-Key``, and their purge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from inventory.accounts.passwords import Passwords
from inventory.accounts.roles import Principal, Role
from inventory.accounts.tables import IdempotencyRecord, User
from inventory.customers.tables import Customer
from inventory.errors import AlreadyExists, InvalidRequest
from inventory.persistence import is_unique_violation, write_transaction

IDEMPOTENCY_RETENTION = timedelta(hours=24)
"""How long the answer to a request sent with an ``Idempotency-Key`` is kept for its retries."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    username: str
    role: Role
    customer: str | None
    active: bool


async def create_user(
    *, username: str, password: str, role: Role, customer: str | None, passwords: Passwords, now: datetime
) -> UserRecord:
    """Add a user; a customer user is bound to one existing customer company.

    Raises:
        AlreadyExists: the username is taken.
        InvalidRequest: the customer company does not exist.
    """
    password_hash = await passwords.hash(password)
    async with write_transaction():
        customer_id = None
        if customer is not None:
            row = await Customer.select(Customer.id).where(Customer.code == customer).first()
            if row is None:
                raise InvalidRequest(f"unknown customer {customer!r}", field="customer")
            customer_id = row["id"]
        if await User.exists().where(User.username == username):
            raise AlreadyExists(f"user {username} already exists", field="username")
        try:
            await User.insert(
                User(
                    username=username,
                    password_hash=password_hash,
                    role=role.value,
                    customer=customer_id,
                    active=True,
                    created_at=now,
                )
            )
        except Exception as exc:
            if is_unique_violation(exc):
                raise AlreadyExists(f"user {username} already exists", field="username") from exc
            raise
    return UserRecord(username, role, customer, True)


async def list_users(*, limit: int, offset: int) -> list[UserRecord]:
    """Users ordered by username."""
    rows = (
        await User.select(User.username, User.role, User.customer.code.as_alias("customer"), User.active)
        .order_by(User.username)
        .limit(limit)
        .offset(offset)
    )
    return [UserRecord(row["username"], Role(row["role"]), row["customer"], row["active"]) for row in rows]


async def authenticate(username: str, password: str, passwords: Passwords) -> Principal | None:
    """The active user whose password matches, or None (same cost whether or not the user exists)."""
    row = (
        await User.select(User.password_hash)
        .where((User.username == username) & User.active.eq(True))
        .first()
    )
    if not await passwords.verify(row["password_hash"] if row else None, password):
        return None
    return await load_principal(username)


async def load_principal(username: str) -> Principal | None:
    """The active user with this username, or None."""
    row = (
        await User.select(
            User.id, User.username, User.role, User.customer, User.customer.code.as_alias("customer_code")
        )
        .where((User.username == username) & User.active.eq(True))
        .first()
    )
    if row is None:
        return None
    return Principal(row["id"], row["username"], Role(row["role"]), row["customer"], row["customer_code"])


async def purge_idempotency_records(now: datetime) -> int:
    """Delete the answers kept for ``Idempotency-Key`` retries that are older than `IDEMPOTENCY_RETENTION`
    at ``now``; safe to run from several processes at once (each row is deleted once).

    Returns:
        How many were deleted.
    """
    rows = (
        await IdempotencyRecord.delete()
        .where(IdempotencyRecord.created_at < now - IDEMPOTENCY_RETENTION)
        .returning(IdempotencyRecord.id)
    )
    return len(rows)
