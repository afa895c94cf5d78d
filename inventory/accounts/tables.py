"""User accounts, the answers kept for each user's requests sent with an ``Idempotency-Key``, and the
sign-in attempts counted by the login throttle."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from inventory.customers.tables import Customer
from inventory.persistence import SCOPED_ENGINE


class User(Table, tablename="app_user", db=SCOPED_ENGINE):
    """A person who signs in; a ``customer`` user belongs to exactly one customer company."""

    username = Varchar(length=64, unique=True)
    password_hash = Varchar(length=255)
    role = Varchar(length=16)
    customer = ForeignKey(references=Customer, null=True, on_delete=OnDelete.restrict)
    active = Boolean(default=True)
    created_at = Timestamptz()


class IdempotencyRecord(Table, tablename="idempotency_record", db=SCOPED_ENGINE):
    """The stored answer to a mutating request sent with an ``Idempotency-Key``.

    ``scope`` is ``user id|METHOD|path``, so one caller's key never replays another caller's answer.
    ``(scope, key)`` is unique (index created by the accounts migrations).
    """

    scope = Varchar(length=300)
    key = Varchar(length=255)
    fingerprint = Varchar(length=64)
    status_code = Integer()
    response_body = Text()
    created_at = Timestamptz(index=True)


class LoginAttempt(Table, tablename="login_attempt", db=SCOPED_ENGINE):
    """The sign-in attempts counted in the current window of one client address or one username
    (`inventory.accounts.login_limits`), shared by every process serving the database.

    ``kind`` is ``address`` or ``username``; ``subject`` is the keyed hash naming the address or the
    username (`LoginLimits.subject`), never the value itself. ``(kind, subject)`` is unique (index created
    by the accounts migrations). A row whose window has closed counts as no row: the next attempt opens a
    new window in it, and `inventory.accounts.purge_login_attempts` removes it.
    """

    kind = Varchar(length=8)
    subject = Varchar(length=64)
    window_start = Timestamptz(index=True)
    attempts = Integer()
