"""Documents of a record (the signed certificate of sanitization, as a PDF or an image): uploaded, typed by
content, stored in the document store under their SHA-256, and recorded as a ``document`` event whose
audit chain entry carries that hash; opened again only if the stored bytes still have it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from inventory.errors import NotFound
from inventory.persistence import write_transaction
from inventory.secure_media.document_store import document_store, read_checked, storage_key
from inventory.secure_media.document_types import ACCEPTED, content_type_of
from inventory.secure_media.rules import EventType
from inventory.secure_media.service import DocumentView, append_event, get_record
from inventory.secure_media.tables import RetentionDocument

FILENAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class OpenedDocument:
    document: DocumentView
    content: bytes


async def add_document(
    record_id: int,
    content: bytes,
    *,
    filename: str,
    actor: str,
    role: str,
    now: datetime,
    viewer: str | None,
    max_bytes: int,
) -> DocumentView:
    """Upload a document to a record: its type told by its content, its SHA-256 computed here, its bytes
    stored, then a ``document`` event (with the hash, in the audit chain) and the document's row in one
    transaction. A document stored but not recorded (the transaction failed) is harmless: documents are
    stored under their hash.

    Raises:
        NotFound: no such record, or not the viewer's.
        DocumentRejected: empty, larger than ``max_bytes``, or not a PDF, PNG or JPEG by its content.
        NotPermitted: the role may not add documents to this record.
        InvalidTransition: the record is closed.
    """
    await get_record(record_id, viewer=viewer, now=now)
    content_type = content_type_of(content, max_bytes=max_bytes)
    sha256 = hashlib.sha256(content).hexdigest()
    key = storage_key(sha256, ACCEPTED[content_type])
    name = _clean_name(filename) or f"document{ACCEPTED[content_type]}"
    await document_store().put(key, content)
    details = {
        "document": {
            "filename": name,
            "content_type": content_type,
            "size_bytes": len(content),
            "sha256": sha256,
        }
    }
    async with write_transaction():
        event_id = await append_event(
            record_id, EventType.DOCUMENT, details, actor=actor, role=role, now=now, viewer=viewer
        )
        document_id = (
            await RetentionDocument.insert(
                RetentionDocument(
                    record=record_id,
                    event=event_id,
                    filename=name,
                    content_type=content_type,
                    size_bytes=len(content),
                    sha256=sha256,
                    storage_key=key,
                    uploaded_by=actor,
                    uploaded_at=now,
                )
            ).returning(RetentionDocument.id)
        )[0]["id"]
    return DocumentView(document_id, event_id, name, content_type, len(content), sha256, actor, now)


async def open_document(record_id: int, document_id: int, *, viewer: str | None) -> OpenedDocument:
    """A record's document with its content, checked against its SHA-256.

    Raises:
        NotFound: no such record or document, or not the viewer's.
        DocumentAltered: the stored bytes no longer have the document's SHA-256.
    """
    query = RetentionDocument.select().where(
        (RetentionDocument.id == document_id) & (RetentionDocument.record == record_id)
    )
    if viewer is not None:
        query = query.where(RetentionDocument.record.customer.code == viewer)
    row = await query.first()
    if row is None:
        raise NotFound(f"document {document_id} of retention record {record_id} not found")
    content = await read_checked(document_store(), row["storage_key"], row["sha256"])
    view = DocumentView(
        row["id"],
        row["event"],
        row["filename"],
        row["content_type"],
        row["size_bytes"],
        row["sha256"],
        row["uploaded_by"],
        row["uploaded_at"],
    )
    return OpenedDocument(view, content)


async def stored_content(key: str, sha256: str) -> bytes:
    """The bytes of a stored document, checked against its SHA-256 (for an evidence pack)."""
    return await read_checked(document_store(), key, sha256)


def _clean_name(filename: str) -> str:
    """The file's own name without any folder, control characters or quotes, at most 200 characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable() and char not in '"<>:|?*')
    return name.strip()[:FILENAME_LENGTH]


__all__ = ["OpenedDocument", "add_document", "open_document", "stored_content"]
