"""Failed data-bearing parts kept by classified customers, and the record of their destruction."""

from inventory.secure_media.certificate import Certificate, certificate_of
from inventory.secure_media.chain_check import AuditVerification, verify_audit
from inventory.secure_media.rules import (
    AGE_BUCKETS,
    TECHNIQUES_BY_METHOD,
    CustodyAction,
    EventType,
    RetentionState,
    SanitizationMethod,
    Technique,
    age_bucket,
)
from inventory.secure_media.service import (
    WHO_MAY,
    AgeingCount,
    EventView,
    Report,
    RetentionView,
    ageing,
    export_records,
    get_record,
    list_records,
    record_event,
    report,
    retention_customers,
)

__all__ = [
    "AGE_BUCKETS",
    "TECHNIQUES_BY_METHOD",
    "WHO_MAY",
    "AgeingCount",
    "AuditVerification",
    "Certificate",
    "CustodyAction",
    "EventType",
    "EventView",
    "Report",
    "RetentionState",
    "RetentionView",
    "SanitizationMethod",
    "Technique",
    "age_bucket",
    "ageing",
    "certificate_of",
    "export_records",
    "get_record",
    "list_records",
    "record_event",
    "report",
    "retention_customers",
    "verify_audit",
]
