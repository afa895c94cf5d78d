"""Piccolo tables of the routing app: the courier fleet and the field engineers."""

from __future__ import annotations

from datetime import time

from piccolo.columns import (
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from inventory.stock.tables import Depot


class Vehicle(Table, tablename="vehicle"):
    """A courier vehicle based at a depot, with its load limits and daily shift (depot local time)."""

    code = Varchar(length=32, unique=True)
    depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict, index=True)
    capacity_kg = DoublePrecision()
    capacity_l = DoublePrecision()
    shift_start = Time(default=time(8, 0))
    shift_end = Time(default=time(19, 0))
    active = Boolean(default=True)
    created_at = Timestamptz()


class Engineer(Table, tablename="engineer"):
    """A field engineer based at a home depot, with skills, a shift and a daily working-hours limit.

    ``skills`` is a space-separated, sorted list of skill names.
    """

    code = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    home_depot = ForeignKey(references=Depot, null=False, on_delete=OnDelete.restrict, index=True)
    skills = Varchar(length=500, default="")
    shift_start = Time(default=time(8, 30))
    shift_end = Time(default=time(18, 30))
    max_working_minutes = Integer(default=480)
    active = Boolean(default=True)
    created_at = Timestamptz()
