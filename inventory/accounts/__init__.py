"""User accounts: roles, the signed-in principal, password hashes, sign-in and user administration."""

from inventory.accounts.passwords import Passwords
from inventory.accounts.roles import EVERYONE, STAFF, Principal, Role
from inventory.accounts.service import UserRecord, authenticate, create_user, list_users, load_principal

__all__ = [
    "EVERYONE",
    "STAFF",
    "Passwords",
    "Principal",
    "Role",
    "UserRecord",
    "authenticate",
    "create_user",
    "list_users",
    "load_principal",
]
