"""A record's certificate of sanitization as a PDF (ReportLab), for evidence packs: the same facts as the
HTML certificate (the record, its NIST SP 800-88 destruction fields and policy, its documents, its events,
its audit chain entries and the signed checkpoint covering them), in English, every time in the local time
of the record's site with the zone named. Chinese names print with the Adobe-Song CID font, which PDF
readers supply: nothing is embedded or installed."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from inventory.secure_media.certificate import Certificate

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
_BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
_SMALL = ParagraphStyle("small", fontName=FONT, fontSize=7, leading=9)
_HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4)
_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=20, spaceAfter=6)
_WARN = ParagraphStyle("warn", parent=_BODY, textColor=colors.HexColor("#a00000"))


def certificate_pdf(shown: Certificate) -> bytes:
    """The certificate as PDF bytes."""
    record = shown.record
    zone = record.timezone
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=f"Certificate of media sanitization, retention record {record.id}",
        author="Spareline",
        invariant=1,
    )
    story: list[Any] = [
        Paragraph("Certificate of media sanitization", _TITLE),
        _para(
            f"Retention record {record.id} · {record.state.replace('_', ' ')} · "
            f"printed {_local(shown.printed_at, zone)}"
        ),
    ]
    if shown.development_keys:
        story.append(_para(f"Development audit keys: {shown.development_warning}", _WARN))
    if shown.proof is not None and shown.proof.matches:
        story.append(_para("This record matches the audit chain."))
    else:
        differences = shown.proof.differences if shown.proof else ("the record is no longer stored",)
        story.append(_para("This record does not match the audit chain: " + "; ".join(differences), _WARN))
    story += _section(
        "Media",
        [
            ("Custody", f"{record.custody}" + (f" (depot {record.depot})" if record.depot else "")),
            ("Customer", f"{record.customer_name} ({record.customer})"),
            ("Classification", record.classification_level or "not stated"),
            ("Site", f"{record.site_name} ({record.site}, {zone})"),
            ("Asset", record.asset_serial or "none"),
            ("Part number", record.part_number),
            ("Media type", record.media_type),
            ("Serial number", record.failed_serial),
            ("Fault ticket", str(record.ticket)),
            ("Custodian", record.custodian),
            ("Retained since", _local(record.created_at, zone)),
            ("Destruction due", _local(record.destruction_due, zone)),
        ],
    )
    destruction = shown.destruction
    if destruction:
        policy = destruction.get("policy")
        story += _section(
            "Sanitization (NIST SP 800-88)",
            [
                ("Method", str(destruction.get("method", ""))),
                ("Technique", str(destruction.get("technique", ""))),
                ("Policy", _policy_text(policy)),
                ("Tool and version", f"{destruction.get('tool', '')} {destruction.get('tool_version', '')}"),
                ("Performed by", str(destruction.get("performed_by", ""))),
                ("Performed at", _local(destruction.get("performed_at"), zone)),
                ("Location", str(destruction.get("location", ""))),
                ("Verification method", str(destruction.get("verification_method", ""))),
                ("Verification result", str(destruction.get("verification_result", ""))),
                ("Validated by", str(destruction.get("validated_by", ""))),
                ("Certificate number", str(destruction.get("certificate_number", ""))),
                ("SHA-256 of the signed certificate", str(destruction.get("certificate_sha256", ""))),
                ("After sanitization", str(destruction.get("post_sanitization_destination", ""))),
            ],
        )
    else:
        story += [Paragraph("Sanitization", _HEADING), _para("No destruction has been recorded.", _WARN)]
    if record.documents:
        story += _section(
            "Documents",
            [
                (
                    f"{document.filename} ({document.content_type}, {document.size_bytes} bytes)",
                    f"SHA-256 {document.sha256} · uploaded by {document.uploaded_by}, "
                    f"{_local(document.uploaded_at, zone)}",
                )
                for document in record.documents
            ],
        )
    story += _section(
        "History",
        [
            (_local(event.recorded_at, zone), f"{event.event} · {event.actor} ({event.actor_role}) · "
             + "; ".join(f"{key}: {value}" for key, value in event.details.items()))
            for event in record.events
        ],
    )  # fmt: skip
    story += _section(
        "Audit chain",
        [(f"Entry {position.seq} · {position.action}", position.hash) for position in record.audit],
    )
    if shown.checkpoint is not None:
        checkpoint = shown.checkpoint
        story += _section(
            f"Signed checkpoint at entry {checkpoint.seq}",
            [
                ("Signed at", _local(checkpoint.at, zone)),
                ("Head hash", checkpoint.hash),
                ("Ed25519 signature", checkpoint.signature),
                ("Public key", shown.public_key),
            ],
        )
    else:
        story.append(_para("No signed checkpoint covers these entries yet.", _WARN))
    document.build(story)
    return out.getvalue()


def _section(title: str, rows: list[tuple[str, str]]) -> list[Any]:
    table = Table(
        [[Paragraph(escape(label), _SMALL), Paragraph(escape(value), _SMALL)] for label, value in rows]
        or [[_para("none"), ""]],
        colWidths=[5.5 * cm, 11.5 * cm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
            ]
        )
    )
    return [Paragraph(escape(title), _HEADING), table, Spacer(1, 4)]


def _para(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(text), style)


def _policy_text(policy: object) -> str:
    if not isinstance(policy, dict):
        return "none applies"
    return (
        f"{policy.get('name')}: {', '.join(policy.get('methods', []))} "
        f"({', '.join(policy.get('techniques', []))})"
    )


def _local(moment: datetime | str | None, zone: str) -> str:
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment.tzinfo is None:
        return moment.isoformat()
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M:%S} {zone} (UTC{local:%z})"
