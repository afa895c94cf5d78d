"""Depots, parts, serialized units, bulk stock and the append-only movement ledger."""
