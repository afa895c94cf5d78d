"""User accounts: roles, the signed-in principal, password hashes, sign-in and its throttle, and user
administration."""

from inventory.accounts.login_limits import WINDOW as LOGIN_WINDOW
from inventory.accounts.login_limits import LoginLimits, TooManySignInAttempts
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
from inventory.accounts.tables import IdempotencyRecord, LoginAttempt, User
from inventory.accounts.throttle import count_sign_in_attempt, purge_login_attempts

__all__ = [
    "EVERYONE",
    "IDEMPOTENCY_RETENTION",
    "LOGIN_WINDOW",
    "STAFF",
    "IdempotencyRecord",
    "LoginAttempt",
    "LoginLimits",
    "Passwords",
    "Principal",
    "Role",
    "TooManySignInAttempts",
    "User",
    "UserRecord",
    "authenticate",
    "count_sign_in_attempt",
    "create_user",
    "list_users",
    "load_principal",
    "purge_idempotency_records",
    "purge_login_attempts",
]
