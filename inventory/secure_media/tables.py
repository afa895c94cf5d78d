"""Piccolo tables of the secure-media app. Records are never deleted and events never change: database
triggers refuse it on both engines (see the secure_media migrations); nor are uploaded documents."""

from __future__ import annotations

from piccolo.columns import BigInt, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from inventory.customers.tables import Asset, Customer, Site
from inventory.persistence import SCOPED_ENGINE
from inventory.stock.tables import Depot, Part
from inventory.tickets.tables import Ticket


class RetentionRecord(Table, tablename="retention_record", db=SCOPED_ENGINE):
    """A failed data-bearing part, from the moment it leaves the asset until it is sanitized under record:
    kept by a classified customer (``custody`` ``customer``), or returned to the ``depot`` that issued its
    replacement, where warehouse staff sanitize it before it may be reused, sent to the vendor or scrapped.

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
    custody = Varchar(length=16, default="customer", index=True)
    depot = ForeignKey(references=Depot, null=True, on_delete=OnDelete.restrict)


class RetentionEvent(Table, tablename="retention_event", db=SCOPED_ENGINE):
    """Custody, destruction, verification or closing of a retention record, with its details as JSON."""

    record = ForeignKey(references=RetentionRecord, null=False, on_delete=OnDelete.restrict, index=True)
    event = Varchar(length=16)
    details = Text()
    actor = Varchar(length=64)
    actor_role = Varchar(length=16)
    recorded_at = Timestamptz()


class SanitizationPolicy(Table, tablename="sanitization_policy", db=SCOPED_ENGINE):
    """The sanitization methods and techniques allowed for one classification level and media type
    (``media_type`` ``*``: every media type of that level without a policy of its own). JSON lists."""

    name = Varchar(length=80, unique=True)
    classification_level = Varchar(length=32)
    media_type = Varchar(length=32)
    methods = Text()
    techniques = Text()
    note = Text(default="")
    updated_at = Timestamptz()
    updated_by = Varchar(length=64)


class RetentionDocument(Table, tablename="retention_document", db=SCOPED_ENGINE):
    """A document uploaded to a record (the signed certificate of sanitization): its content lives in the
    document store under ``storage_key``; its SHA-256, computed on upload, is in the audit chain."""

    record = ForeignKey(references=RetentionRecord, null=False, on_delete=OnDelete.restrict, index=True)
    event = ForeignKey(references=RetentionEvent, null=False, on_delete=OnDelete.restrict)
    filename = Varchar(length=200)
    content_type = Varchar(length=64)
    size_bytes = BigInt()
    sha256 = Varchar(length=64, index=True)
    storage_key = Varchar(length=200)
    uploaded_by = Varchar(length=64)
    uploaded_at = Timestamptz()
