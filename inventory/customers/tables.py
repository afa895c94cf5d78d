"""Piccolo tables of the customers app: companies, their sites and their installed base."""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from inventory.persistence import SCOPED_ENGINE


class Customer(Table, tablename="customer", db=SCOPED_ENGINE):
    """A customer company with its service tier and entitlement options."""

    code = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    tier = Varchar(length=16, default="standard")
    delivery_service = Varchar(length=8, default="nbd")
    support_hours = Varchar(length=16, default="business")
    secure_media_retention = Boolean(default=False)
    classification_level = Varchar(length=32, default="")
    account_manager = Varchar(length=100, default="")
    second_line_engineer = Varchar(length=100, default="")
    account_manager_contact = Varchar(length=200, default="")
    """How to reach the account manager (telephone, e-mail), as the customer was told."""
    second_line_contact = Varchar(length=200, default="")
    created_at = Timestamptz()
    active = Boolean(default=True)
    """An inactive customer opens no new tickets; its records stay readable."""


class Site(Table, tablename="site", db=SCOPED_ENGINE):
    """A customer location: where assets stand and where parts and engineers go."""

    customer = ForeignKey(references=Customer, null=False, on_delete=OnDelete.restrict)
    code = Varchar(length=32)
    name = Varchar(length=200)
    address = Varchar(length=500)
    latitude = DoublePrecision()
    longitude = DoublePrecision()
    timezone = Varchar(length=64)
    calendar_region = Varchar(length=16, default="CN")
    created_at = Timestamptz()
    active = Boolean(default=True)
    """An inactive site gets no new tickets; its records stay readable."""


class Asset(Table, tablename="asset", db=SCOPED_ENGINE):
    """An installed product under contract: the customer's file of what it runs."""

    serial = Varchar(length=100, unique=True)
    model = Varchar(length=200)
    customer = ForeignKey(references=Customer, null=False, on_delete=OnDelete.restrict)
    site = ForeignKey(references=Site, null=False, on_delete=OnDelete.restrict)
    accepted_on = Date()
    warranty_years = Integer(default=3)
    created_at = Timestamptz()
