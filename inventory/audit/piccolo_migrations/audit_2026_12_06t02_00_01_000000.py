"""PostgreSQL's linking trigger is one statement, and no longer deletes the queued entry it links.

* **One statement.** The trigger read the head under its row lock, then inserted the entry and moved the
  head: three statements while every other append waits. Now one ``UPDATE audit_head ... RETURNING``
  moves the head (computing the hash from the row it locked) and returns the hash it moved from, kept
  in ``prev_hash`` (added by the migration before this one); the entry is inserted from what it returns,
  in the same statement.
* **No delete.** Each backend planned the trigger's ``DELETE ... WHERE id = $1`` once, while
  ``audit_pending`` looked empty, as a sequential scan; the queue's dead rows are only reclaimed by
  vacuum, so every link scanned more pages than the one before, under the head row lock. Every committed
  queue row has been linked (its transaction cannot commit otherwise), so
  `inventory.audit.log.purge_linked` now removes them in bulk, from the background sweep.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T02:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "link in one statement, without deleting the queued entry"

# Frozen with this migration: the same message as `inventory.audit_chain.entry_hash` and MAC as
# `entry_mac` (HMAC-SHA256 from the padded keys of `hmac_pads`), as in the migration of 25 November.
POSTGRES = [
    r"""
    CREATE OR REPLACE FUNCTION audit_link_pending() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        nul CONSTANT BYTEA := '\x00'::bytea;
    BEGIN
        WITH moved AS (
            UPDATE audit_head SET prev_hash = hash, seq = seq + 1, hash = encode(sha256(
                convert_to('spareline-audit-v1', 'UTF8') || nul || convert_to((seq + 1)::text, 'UTF8')
                || nul || convert_to(hash, 'UTF8') || nul || convert_to(NEW.at, 'UTF8')
                || nul || convert_to(NEW.actor, 'UTF8') || nul || convert_to(NEW.action, 'UTF8')
                || nul || convert_to(NEW.subject, 'UTF8') || nul || convert_to(NEW.payload, 'UTF8')
            ), 'hex')
            WHERE id = 1
            RETURNING seq, prev_hash, hash
        )
        INSERT INTO audit_entry (seq, at, actor, action, subject, payload, prev_hash, hash, mac)
        SELECT seq, NEW.at, NEW.actor, NEW.action, NEW.subject, NEW.payload, prev_hash, hash,
            encode(sha256(
                decode(current_setting('spareline.audit_mac_outer'), 'hex')
                || sha256(decode(current_setting('spareline.audit_mac_inner'), 'hex')
                          || convert_to(hash, 'UTF8'))
            ), 'hex')
        FROM moved;
        RETURN NULL;
    END $$
    """,
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def link_in_one_statement():
        engine = engine_finder()
        # The head entry's prev_hash, for a chain that already has entries (the genesis head keeps '').
        await engine.run_ddl(
            "UPDATE audit_head SET prev_hash = "
            "COALESCE((SELECT prev_hash FROM audit_entry WHERE audit_entry.seq = audit_head.seq), '')"
        )
        if engine.engine_type == "postgres":
            for statement in POSTGRES:
                await engine.run_ddl(statement)

    manager.add_raw(link_in_one_statement)
    return manager
