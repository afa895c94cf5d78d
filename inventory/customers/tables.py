"""Piccolo tables of the customers app."""

from __future__ import annotations

from piccolo.columns import Boolean, Timestamptz, Varchar
from piccolo.table import Table


class Customer(Table, tablename="customer"):
    """A customer company with its service tier and entitlement options."""

    code = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    tier = Varchar(length=16, default="standard")
    delivery_service = Varchar(length=8, default="nbd")
    support_hours = Varchar(length=16, default="business")
    secure_media_retention = Boolean(default=False)
    account_manager = Varchar(length=100, default="")
    second_line_engineer = Varchar(length=100, default="")
    created_at = Timestamptz()
