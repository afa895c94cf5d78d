"""Failed data-bearing parts kept by classified customers, and the record of their destruction."""

from inventory.secure_media.certificate import Certificate, certificate_of
from inventory.secure_media.chain_check import AuditVerification, verify_audit
from inventory.secure_media.rules import (
    CustodyAction,
    EventType,
    RetentionState,
    SanitizationMethod,
    Technique,
    age_bucket,
)
from inventory.secure_media.service import (
    WHO_MAY,
    Report,
    RetentionView,
    get_record,
    list_records,
    record_event,
    report,
)

__all__ = [
    "WHO_MAY",
    "AuditVerification",
    "Certificate",
    "CustodyAction",
    "EventType",
    "Report",
    "RetentionState",
    "RetentionView",
    "SanitizationMethod",
    "Technique",
    "age_bucket",
    "certificate_of",
    "get_record",
    "list_records",
    "record_event",
    "report",
    "verify_audit",
]
