"""User accounts, and the answers kept for each user's requests sent with an ``Idempotency-Key``."""

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
