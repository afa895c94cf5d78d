"""Piccolo tables of the secure-media app. Records are never deleted and events never change: database
triggers refuse it on both engines (see the secure_media migrations)."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from inventory.customers.tables import Asset, Customer, Site
from inventory.persistence import SCOPED_ENGINE
from inventory.stock.tables import Part
from inventory.tickets.tables import Ticket


class RetentionRecord(Table, tablename="retention_record", db=SCOPED_ENGINE):
    """A failed data-bearing part that stays with a classified customer until destroyed under record.

    ``state`` is kept with the events that change it, in the same transaction; nothing else is updated.
    """

    ticket = ForeignKey(references=Ticket, null=False, on_delete=OnDelete.restrict)
    customer = ForeignKey(references=Customer, null=False, on_delete=OnDelete.restrict, index=True)
    site = ForeignKey(references=Site, null=False, on_delete=OnDelete.restrict)
    asset = ForeignKey(references=Asset, null=True, on_delete=OnDelete.restrict)
    part = ForeignKey(references=Part, null=False, on_delete=OnDelete.restrict)
    failed_serial = Varchar(length=100)
    media_type = Varchar(length=32)
    classification_level = Varchar(length=32)
    custodian = Varchar(length=200)
    state = Varchar(length=24, index=True)
    created_at = Timestamptz(index=True)
    destruction_due = Timestamptz()
    created_by = Varchar(length=64)


class RetentionEvent(Table, tablename="retention_event", db=SCOPED_ENGINE):
    """Custody, destruction, verification or closing of a retention record, with its details as JSON."""

    record = ForeignKey(references=RetentionRecord, null=False, on_delete=OnDelete.restrict, index=True)
    event = Varchar(length=16)
    details = Text()
    actor = Varchar(length=64)
    actor_role = Varchar(length=16)
    recorded_at = Timestamptz()
