"""Piccolo tables of the audit app. UPDATE and DELETE on the entries and checkpoints are refused by
database triggers on both engines (see the audit migrations)."""

from __future__ import annotations

from piccolo.columns import BigInt, Text, Varchar
from piccolo.table import Table

from inventory.persistence import SCOPED_ENGINE


class AuditEntry(Table, tablename="audit_entry", db=SCOPED_ENGINE):
    """One link of the hash chain. ``at`` is kept exactly as it was hashed (ISO 8601 text)."""

    seq = BigInt(unique=True)
    at = Varchar(length=40)
    actor = Varchar(length=64)
    action = Varchar(length=64, index=True)
    subject = Varchar(length=200, index=True)
    payload = Text()
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64, unique=True)
    mac = Varchar(length=64)


class AuditHead(Table, tablename="audit_head", db=SCOPED_ENGINE):
    """The chain's head (one row, id 1): the lock every append takes, and where the next entry links."""

    seq = BigInt(default=0)
    hash = Varchar(length=64)
    prev_hash = Varchar(length=64)
    """The ``prev_hash`` of the head entry: PostgreSQL links an entry by moving the head in one statement,
    which returns the hash it moved from here."""


class AuditCheckpoint(Table, tablename="audit_checkpoint", db=SCOPED_ENGINE):
    """A signed (Ed25519) statement of the chain head, meant to be exported and kept elsewhere too."""

    seq = BigInt(index=True)
    hash = Varchar(length=64)
    at = Varchar(length=40)
    signature = Varchar(length=128)
    key_id = Varchar(length=16)
