"""Which documents a record accepts, told by their content (the format's signature, read by
``puremagic``), never by the name or the type a client claims. Plain Python."""

from __future__ import annotations

import puremagic

from inventory.errors import InvalidRequest

ACCEPTED = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
"""The content types of a signed certificate (a PDF, or a photo or scan of the signed paper), and the
extension each is stored under."""


class DocumentRejected(InvalidRequest):
    """An uploaded document is empty, too large, or not a PDF, PNG or JPEG by its content."""

    code = "document-rejected"


def content_type_of(content: bytes, *, max_bytes: int) -> str:
    """The accepted content type of ``content``, or `DocumentRejected` (naming why)."""
    if not content:
        raise DocumentRejected("the document is empty", field="document")
    if len(content) > max_bytes:
        raise DocumentRejected(
            f"the document has {len(content)} bytes; at most {max_bytes} are accepted",
            field="document",
            max_bytes=max_bytes,
        )
    try:
        matches = puremagic.magic_string(content)
    except puremagic.PureError:
        matches = []
    for match in matches:
        if match.mime_type in ACCEPTED and match.offset == 0:
            return match.mime_type
    raise DocumentRejected(
        "the document is not a PDF, PNG or JPEG file by its content",
        field="document",
        accepted=sorted(ACCEPTED),
    )
