"""Failed data-bearing parts, kept by classified customers or returned to a depot, and the record of their
sanitization: policies, documents, reports and evidence packs."""

from inventory.secure_media.certificate import Certificate, certificate_of
from inventory.secure_media.chain_check import AuditVerification, verify_audit
from inventory.secure_media.document_store import (
    DocumentAltered,
    DocumentStore,
    FileSystemStore,
    ObjectStore,
    document_store,
    using_document_store,
)
from inventory.secure_media.document_types import ACCEPTED as ACCEPTED_DOCUMENTS
from inventory.secure_media.document_types import DocumentRejected
from inventory.secure_media.documents import OpenedDocument, add_document, open_document
from inventory.secure_media.evidence import EvidencePack, evidence_pack
from inventory.secure_media.policies import PolicyView, list_policies, policy_of, set_policy
from inventory.secure_media.register_export import COLUMNS as REGISTER_COLUMNS
from inventory.secure_media.register_export import row_of as register_row
from inventory.secure_media.rules import (
    AGE_BUCKETS,
    RELEASE_RULE,
    TECHNIQUES_BY_METHOD,
    WHO_MAY,
    Custody,
    CustodyAction,
    EventType,
    Policy,
    PolicyViolated,
    RetentionState,
    SanitizationMethod,
    SanitizationRequired,
    Technique,
    age_bucket,
)
from inventory.secure_media.service import (
    AgeingCount,
    DocumentView,
    EventView,
    Report,
    RetentionView,
    ageing,
    ensure_sanitized,
    export_records,
    get_record,
    list_records,
    record_event,
    report,
    retention_customers,
)

__all__ = [
    "ACCEPTED_DOCUMENTS",
    "AGE_BUCKETS",
    "REGISTER_COLUMNS",
    "RELEASE_RULE",
    "TECHNIQUES_BY_METHOD",
    "WHO_MAY",
    "AgeingCount",
    "AuditVerification",
    "Certificate",
    "Custody",
    "CustodyAction",
    "DocumentAltered",
    "DocumentRejected",
    "DocumentStore",
    "DocumentView",
    "EventType",
    "EventView",
    "EvidencePack",
    "FileSystemStore",
    "ObjectStore",
    "OpenedDocument",
    "Policy",
    "PolicyView",
    "PolicyViolated",
    "Report",
    "RetentionState",
    "RetentionView",
    "SanitizationMethod",
    "SanitizationRequired",
    "Technique",
    "add_document",
    "age_bucket",
    "ageing",
    "certificate_of",
    "document_store",
    "ensure_sanitized",
    "evidence_pack",
    "export_records",
    "get_record",
    "list_policies",
    "list_records",
    "open_document",
    "policy_of",
    "record_event",
    "register_row",
    "report",
    "retention_customers",
    "set_policy",
    "using_document_store",
    "verify_audit",
]
