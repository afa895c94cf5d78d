"""The tamper-evident audit chain: every state change, hash-chained, keyed and checkpointed."""
