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

    @get("/verify", operation_id="verifyAuditChain")
    async def verify(self) -> VerificationOut:
        """Walk the whole chain (links, hashes, keyed MACs, signed checkpoints) and name the first bad entry;
        then compare every retention record and its events with the chain entries that recorded them and
        name every record that differs. ``development_keys`` says when the keys prove nothing."""
        return VerificationOut.of(await verify_audit())

    @get("/checkpoints", operation_id="exportAuditCheckpoints")
    async def checkpoints(self) -> CheckpointExport:
        """Every signed checkpoint with the public key that verifies them: keep a copy outside the service."""
        return CheckpointExport.of(audit.keys(), await audit.list_checkpoints())

    @post("/checkpoints", operation_id="createAuditCheckpoint")
    async def create_checkpoint(self, now: NamedDependency[datetime]) -> CheckpointOut:
        """Sign the chain head now (the sweep also does it as the chain grows)."""
        return CheckpointOut.of(await audit.create_checkpoint(now))
