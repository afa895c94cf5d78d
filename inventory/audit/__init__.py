"""The tamper-evident audit chain: every state change, hash-chained, keyed and checkpointed."""

from inventory.audit.log import (
    DEVELOPMENT_KEYS_WARNING,
    AuditKeys,
    ChainStatus,
    KeptCheckpoint,
    chain_status,
    checkpoint_if_due,
    create_checkpoint,
    first_checkpoint_covering,
    keys,
    last_checkpoint,
    list_checkpoints,
    purge_linked,
    using_keys,
)

__all__ = [
    "DEVELOPMENT_KEYS_WARNING",
    "AuditKeys",
    "ChainStatus",
    "KeptCheckpoint",
    "chain_status",
    "checkpoint_if_due",
    "create_checkpoint",
    "first_checkpoint_covering",
    "keys",
    "last_checkpoint",
    "list_checkpoints",
    "purge_linked",
    "using_keys",
]
