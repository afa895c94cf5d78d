"""Verifying the audit chain and exporting its signed checkpoints (compliance officers and admins)."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post
from litestar.di import NamedDependency

from api.schemas.audit import CheckpointExport, CheckpointOut, VerificationOut
from api.security import allow
from inventory import audit
from inventory.accounts import Role
from inventory.secure_media import verify_audit


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]
    guards = [allow(Role.ADMIN, Role.COMPLIANCE)]

    @get(
        "/verify",
        operation_id="verifyAuditChain",
        summary="Verify the audit chain",
        description=(
            "Walks the whole chain, each entry's link to the one before, its hash and keyed MAC, and "
            "every signed checkpoint, and names the first entry that was changed, removed, inserted or "
            "rewritten (`first_bad_seq`, `reason`). Then compares every retention record and its events "
            "with the chain entries that recorded them and names each record that differs. "
            "`development_keys` warns when the keys are the published development ones, which prove "
            "nothing. Changes nothing."
        ),
    )
    async def verify(self) -> VerificationOut:
        """Walk the whole chain (links, hashes, keyed MACs, signed checkpoints) and name the first bad entry;
        then compare every retention record and its events with the chain entries that recorded them and
        name every record that differs. ``development_keys`` says when the keys prove nothing."""
        return VerificationOut.of(await verify_audit())

    @get(
        "/checkpoints",
        operation_id="exportAuditCheckpoints",
        summary="Export the signed checkpoints",
        description=(
            "Every Ed25519-signed checkpoint of the chain head (sequence number, hash, time, signature) "
            "with the public key and key id that verify them. Keep a copy outside the service: no later "
            "rewrite of the chain can match them. Changes nothing."
        ),
    )
    async def checkpoints(self) -> CheckpointExport:
        """Every signed checkpoint with the public key that verifies them: keep a copy outside the service."""
        return CheckpointExport.of(audit.keys(), await audit.list_checkpoints())

    @post(
        "/checkpoints",
        operation_id="createAuditCheckpoint",
        summary="Sign a checkpoint now",
        description=(
            "Signs the current head of the audit chain with the service's Ed25519 key and keeps the "
            "checkpoint. The periodic sweep also signs one as the chain grows; a checkpoint changes no "
            "entry."
        ),
    )
    async def create_checkpoint(self, now: NamedDependency[datetime]) -> CheckpointOut:
        """Sign the chain head now (the sweep also does it as the chain grows)."""
        return CheckpointOut.of(await audit.create_checkpoint(now))
