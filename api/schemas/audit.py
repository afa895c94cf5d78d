"""Audit chain verification and checkpoints."""

from __future__ import annotations

from dataclasses import asdict

from api.schemas.base import ResponseModel
from inventory.audit.chain import Checkpoint, Verification


class VerificationOut(ResponseModel):
    valid: bool
    length: int
    head: str
    first_bad_seq: int | None
    reason: str | None
    checkpoints_checked: int

    @classmethod
    def of(cls, verification: Verification) -> VerificationOut:
        return cls(**asdict(verification))


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
