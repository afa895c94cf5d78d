"""Evidence packs: everything an auditor needs to check the records of a customer and a period offline,
in one zip.

``register.csv`` (the register, as the CSV export), per record ``records/<id>/record.json`` (the record
with its events and documents), ``certificate.html`` and ``certificate.pdf`` and its uploaded documents;
``chain/entries.jsonl``, the unbroken piece of the audit chain from the first entry about any of the records
to the signed checkpoint that covers the last one, and ``chain/checkpoints.json``; ``public_key.pem``;
``verify_pack.py``, a verifier that needs only Python and ``cryptography``, with ``README.txt``; and
``manifest.json``, the SHA-256 of every file, signed with the audit key in ``manifest.sig``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from inventory.audit import log as audit
from inventory.audit_chain import Checkpoint, Entry
from inventory.errors import InvalidRequest
from inventory.secure_media.certificate import Certificate, certificate_of
from inventory.secure_media.certificate_pdf import certificate_pdf
from inventory.secure_media.document_types import ACCEPTED
from inventory.secure_media.documents import stored_content
from inventory.secure_media.proof import subject
from inventory.secure_media.register_export import COLUMNS, row_of, utc_time
from inventory.secure_media.service import report
from inventory.secure_media.tables import RetentionDocument
from inventory.secure_media.views import RetentionView

FORMAT = "spareline-evidence-pack/1"
VERIFIER = Path(__file__).with_name("evidence_verifier.py")
README = """Spareline evidence pack
=======================

Verify it offline (Python 3.11+ and the "cryptography" package, nothing else):

    python verify_pack.py PACK.zip --public-key AUDIT_PUBLIC_KEY

AUDIT_PUBLIC_KEY is the audit public key you hold from the service (a PEM file, or its 64 hex
characters, the public_key of GET /api/v1/audit/checkpoints): without it the verifier uses
public_key.pem from the pack, which proves the pack is intact but not who made it. Add --mac-key HEX
to check the entries' keyed MACs when you hold the chain's MAC key.

The verifier checks the signature of manifest.json (manifest.sig), the SHA-256 of every file, that
chain/entries.jsonl is an unbroken piece of the audit chain, that the signed checkpoints in
chain/checkpoints.json cover it, and that each records/<id>/record.json and each uploaded document are what
the chain recorded. It names every file that fails, and exits 0 only when everything verifies. A pack
made before a checkpoint covering its records was signed verifies on the manifest's signature alone: the
verifier says so in a note.

Contents: register.csv (the register); records/<id>/record.json, certificate.html, certificate.pdf and
documents/; chain/entries.jsonl and chain/checkpoints.json; public_key.pem; manifest.json and manifest.sig.
"""


@dataclass(frozen=True, slots=True)
class EvidencePack:
    filename: str
    content: bytes
    records: int
    entries: int
    checkpoint_seq: int | None


async def evidence_pack(
    *,
    customer: str | None,
    retained_from: datetime | None,
    retained_to: datetime | None,
    now: datetime,
    render_html: Callable[[Certificate], str],
    max_records: int,
    max_entries: int,
) -> EvidencePack:
    """The evidence pack of the records opened in ``[retained_from, retained_to)`` (of ``customer``, if
    given), as at ``now``; ``render_html`` renders a certificate as the HTML page the service prints.

    Raises:
        InvalidRequest: more than ``max_records`` records, or more than ``max_entries`` chain entries
            between the first of them and the checkpoint covering them: ask for a shorter period.
    """
    found = await report(
        customer=customer,
        viewer=None,
        now=now,
        limit=max_records,
        whole=True,
        retained_from=retained_from,
        retained_to=retained_to,
    )
    records = found.items
    seqs = [position.seq for record in records for position in record.audit]
    checkpoint = await audit.first_checkpoint_covering(max(seqs)) if seqs else None
    entries = await _chain_piece(seqs, checkpoint, max_entries)
    checkpoints = [kept for kept in await audit.list_checkpoints() if entries and entries[0].seq <= kept.seq]
    checkpoints = [kept for kept in checkpoints if kept.seq <= entries[-1].seq]
    files: dict[str, bytes] = {
        "register.csv": _register(records, now),
        "chain/entries.jsonl": "".join(
            json.dumps(_entry(entry), sort_keys=True, ensure_ascii=False) + "\n" for entry in entries
        ).encode(),
        "chain/checkpoints.json": _json([_checkpoint(kept) for kept in checkpoints]),
        "public_key.pem": audit.keys().public_key_pem.encode(),
        "verify_pack.py": VERIFIER.read_bytes(),
        "README.txt": README.encode(),
    }
    listed = []
    for record in records:
        listed.append(await _record_files(record, now, render_html, files))
    manifest = {
        "format": FORMAT,
        "generated_at": utc_time(now),
        "customer": customer,
        "from": utc_time(retained_from),
        "to": utc_time(retained_to),
        "public_key": audit.keys().public_key_hex,
        "development_keys": audit.keys().development,
        "chain": {
            "first_seq": entries[0].seq if entries else None,
            "last_seq": entries[-1].seq if entries else None,
            "checkpoint_seq": None if checkpoint is None else checkpoint.seq,
            "covered": checkpoint is not None,
        },
        "records": listed,
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())},
    }
    manifest_bytes = _json(manifest)
    signature = audit.keys().signing_key.sign(manifest_bytes).hex()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in [("manifest.json", manifest_bytes), ("manifest.sig", signature.encode()),
                              *sorted(files.items())]:  # fmt: skip
            archive.writestr(zipfile.ZipInfo(name, date_time=now.utctimetuple()[:6]), content)
    label = customer or "all"
    return EvidencePack(
        f"evidence-{label}-{now:%Y%m%dT%H%MZ}.zip",
        out.getvalue(),
        len(records),
        len(entries),
        None if checkpoint is None else checkpoint.seq,
    )


async def _chain_piece(seqs: list[int], checkpoint: Checkpoint | None, max_entries: int) -> list[Entry]:
    """The entries from the first of ``seqs`` to the checkpoint (or, with none yet, the last of them)."""
    if not seqs:
        return []
    first = min(seqs)
    last = checkpoint.seq if checkpoint is not None else max(seqs)
    if last - first + 1 > max_entries:
        raise InvalidRequest(
            f"the records' audit chain entries span {last - first + 1} entries, more than {max_entries}: "
            "ask for a shorter period",
            field="from",
        )
    piece: list[Entry] = []
    async for entry in audit.entries(after=first - 1):
        if entry.seq > last:
            break
        piece.append(entry)
    return piece


async def _record_files(
    record: RetentionView, now: datetime, render_html: Callable[[Certificate], str], files: dict[str, bytes]
) -> dict:
    folder = f"records/{record.id}"
    certificate = await certificate_of(record.id, viewer=None, now=now)
    files[f"{folder}/record.json"] = _json(_record_json(certificate.record))
    files[f"{folder}/certificate.html"] = render_html(certificate).encode()
    files[f"{folder}/certificate.pdf"] = certificate_pdf(certificate)
    keys = {
        row["id"]: row["storage_key"]
        for row in await RetentionDocument.select(RetentionDocument.id, RetentionDocument.storage_key).where(
            RetentionDocument.record == record.id
        )
    }
    documents = []
    for document in certificate.record.documents:
        path = f"{folder}/documents/{document.id}-{document.sha256[:12]}{ACCEPTED[document.content_type]}"
        files[path] = await stored_content(keys[document.id], document.sha256)
        documents.append({"path": path, "sha256": document.sha256, "filename": document.filename})
    return {
        "id": record.id,
        "subject": subject(record.id),
        "custody": record.custody,
        "state": record.state,
        "record": f"{folder}/record.json",
        "certificate_html": f"{folder}/certificate.html",
        "certificate_pdf": f"{folder}/certificate.pdf",
        "entries": [position.seq for position in certificate.record.audit],
        "documents": documents,
    }


def _record_json(record: RetentionView) -> dict:
    return {
        "id": record.id,
        "custody": record.custody,
        "ticket": record.ticket,
        "customer": record.customer,
        "customer_name": record.customer_name,
        "site": record.site,
        "site_name": record.site_name,
        "depot": record.depot,
        "time_zone": record.timezone,
        "asset_serial": record.asset_serial,
        "part_number": record.part_number,
        "failed_serial": record.failed_serial,
        "media_type": record.media_type,
        "classification_level": record.classification_level,
        "custodian": record.custodian,
        "state": record.state,
        "created_at": utc_time(record.created_at),
        "created_by": record.created_by,
        "destruction_due": utc_time(record.destruction_due),
        "events": [
            {
                "id": event.id,
                "event": event.event,
                "details": event.details,
                "actor": event.actor,
                "actor_role": event.actor_role,
                "recorded_at": utc_time(event.recorded_at),
            }
            for event in record.events
        ],
        "documents": [
            {
                "id": document.id,
                "event": document.event,
                "filename": document.filename,
                "content_type": document.content_type,
                "size_bytes": document.size_bytes,
                "sha256": document.sha256,
                "uploaded_by": document.uploaded_by,
                "uploaded_at": utc_time(document.uploaded_at),
            }
            for document in record.documents
        ],
        "audit": [{"seq": p.seq, "action": p.action, "hash": p.hash} for p in record.audit],
    }


def _register(records: list[RetentionView], now: datetime) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(row_of(record, now) for record in records)
    return ("\ufeff" + out.getvalue()).encode()


def _entry(entry: Entry) -> dict:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "payload": entry.payload,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "mac": entry.mac,
    }


def _checkpoint(checkpoint: Checkpoint) -> dict:
    return {
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "at": checkpoint.at,
        "signature": checkpoint.signature,
    }


def _json(value: object) -> bytes:
    return (json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode()
