"""Audit chain verification and checkpoints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from pydantic import ConfigDict, Field

from api.schemas.base import ResponseModel
from inventory.audit import DEVELOPMENT_KEYS_WARNING, AuditKeys
from inventory.audit_chain import Checkpoint
from inventory.secure_media import AuditVerification


class MismatchedRecordOut(ResponseModel):
    record_id: int = Field(
        description="The retention record (or the record the chain names but the database lacks)."
    )
    differences: list[str] = Field(
        description="What differs between the stored record and its chain entries."
    )


class VerificationOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "valid": True,
                    "chain_valid": True,
                    "length": 224,
                    "head": "fed0c549c3aa42f577798dd758893581e2f0cc875e279f0aabbc22c35d4eb8cf",
                    "first_bad_seq": None,
                    "reason": None,
                    "checkpoints_checked": 3,
                    "records_checked": 7,
                    "records_partly_covered": 0,
                    "mismatched_records": [],
                    "mismatched_records_total": 0,
                    "development_keys": False,
                    "warning": None,
                }
            ]
        }
    )

    valid: bool = Field(description="The chain is intact and every retention record matches its entries.")
    chain_valid: bool = Field(description="The chain alone: links, hashes, MACs and signed checkpoints.")
    length: int
    head: str
    first_bad_seq: int | None
    reason: str | None
    checkpoints_checked: int
    records_checked: int = Field(description="Retention records compared with their chain entries.")
    records_partly_covered: int = Field(
        description="Records created before the chain carried every field of the certificate: the fields "
        "their creation entry does not carry cannot be checked."
    )
    mismatched_records: list[MismatchedRecordOut] = Field(description="The first 1,000 records that differ.")
    mismatched_records_total: int
    development_keys: bool = Field(
        description="The audit keys derive from the development secret in the source code: nothing verified "
        "with them proves anything."
    )
    warning: str | None = Field(description="Why the verification cannot be relied on, if it cannot.")

    @classmethod
    def of(cls, verification: AuditVerification) -> VerificationOut:
        records = verification.records
        return cls(
            **asdict(verification.chain)
            | {"valid": verification.valid, "chain_valid": verification.chain.valid},
            records_checked=records.records_checked,
            records_partly_covered=records.partly_covered,
            mismatched_records=[
                MismatchedRecordOut(record_id=proof.record_id, differences=list(proof.differences))
                for proof in records.mismatched
            ],
            mismatched_records_total=records.mismatched_total,
            development_keys=verification.development_keys,
            warning=DEVELOPMENT_KEYS_WARNING if verification.development_keys else None,
        )


class CheckpointOut(ResponseModel):
    seq: int
    hash: str
    at: str
    signature: str

    @classmethod
    def of(cls, checkpoint: Checkpoint) -> CheckpointOut:
        return cls(**asdict(checkpoint))


class CheckpointExport(ResponseModel):
    public_key: str
    key_id: str
    checkpoints: list[CheckpointOut]

    @classmethod
    def of(cls, keys: AuditKeys, checkpoints: Sequence[Checkpoint]) -> CheckpointExport:
        """Every checkpoint with the public key that verifies them (what ``audit-verify --checkpoints``
        reads)."""
        return cls(
            public_key=keys.public_key_hex,
            key_id=keys.key_id,
            checkpoints=[CheckpointOut.of(checkpoint) for checkpoint in checkpoints],
        )
