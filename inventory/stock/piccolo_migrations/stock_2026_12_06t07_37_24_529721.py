"""One receipt per delivery note: every receipt gets its ``delivery_key`` (added by the migration before
this one), and a unique index makes the database refuse a second receipt of the same note.

Receipts booked before the rule may repeat one another; the oldest of each note keeps the key and the
later ones keep null (receipts are never edited or removed), so that the index can be created.
"""

import hashlib
import json
import unicodedata

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T07:37:24:529721"
VERSION = "1.38.0"
DESCRIPTION = "delivery keys of earlier receipts and their unique index"

INDEX = "CREATE UNIQUE INDEX receipt_one_per_delivery_note ON receipt (delivery_key)"
ROWS_PER_UPDATE = 500


def delivery_key(supplier: str, reference: str) -> str:
    """Frozen with this migration: `inventory.stock.model.delivery_key` as it was written."""
    pair = [" ".join(unicodedata.normalize("NFKC", text).casefold().split()) for text in (supplier, reference)]
    return hashlib.sha256(json.dumps(pair, ensure_ascii=False).encode()).hexdigest()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="stock", description=DESCRIPTION)

    async def key_receipts():
        engine = engine_finder()
        receipts = await engine.run_ddl("SELECT id, supplier, reference FROM receipt ORDER BY id")
        keys: dict[str, int] = {}
        for row in receipts:
            keys.setdefault(delivery_key(row["supplier"], row["reference"]), int(row["id"]))
        pairs = [(receipt_id, key) for key, receipt_id in keys.items()]
        for start in range(0, len(pairs), ROWS_PER_UPDATE):
            # Only ids and hex digests are written into the statement.
            values = ", ".join(f"({receipt_id}, '{key}')" for receipt_id, key in pairs[start : start + ROWS_PER_UPDATE])
            await engine.run_ddl(
                f"UPDATE receipt SET delivery_key = v.column2 FROM (VALUES {values}) AS v "
                "WHERE receipt.id = v.column1"
            )
        await engine.run_ddl(INDEX)

    manager.add_raw(key_receipts)
    return manager
