"""User accounts: roles, the signed-in principal, password hashes, sign-in and user administration."""

from inventory.accounts.passwords import Passwords
from inventory.accounts.roles import EVERYONE, STAFF, Principal, Role
from inventory.accounts.service import (
    IDEMPOTENCY_RETENTION,
    UserRecord,
    authenticate,
    create_user,
    list_users,
    load_principal,
    purge_idempotency_records,
)
from inventory.accounts.tables import IdempotencyRecord, User

__all__ = [
    "EVERYONE",
    "IDEMPOTENCY_RETENTION",
    "STAFF",
    "IdempotencyRecord",
    "Passwords",
    "Principal",
    "Role",
    "User",
    "UserRecord",
    "authenticate",
    "create_user",
    "list_users",
    "load_principal",
    "purge_idempotency_records",
]
