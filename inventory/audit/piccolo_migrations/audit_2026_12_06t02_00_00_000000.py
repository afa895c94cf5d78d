"""PostgreSQL: the linking trigger no longer deletes the queued entry it links.

Each backend planned that ``DELETE ... WHERE id = $1`` once, while ``audit_pending`` looked empty, as a
sequential scan; the queue's dead rows are only reclaimed by vacuum, so every link scanned more pages
than the one before, under the chain's head row lock. Every committed queue row has been linked (its
transaction cannot commit otherwise), so `inventory.audit.log.purge_linked` now removes them in bulk,
from the background sweep, outside any append.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "link queued audit entries without deleting them"

# Frozen with this migration: the same message as `inventory.audit.chain.entry_hash` and MAC as
# `entry_mac` (HMAC-SHA256 from the padded keys of `hmac_pads`), as in the migration of 25 November.
POSTGRES = [
    r"""
    CREATE OR REPLACE FUNCTION audit_link_pending() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        next_seq BIGINT;
        prev TEXT;
        digest TEXT;
        nul CONSTANT BYTEA := '\x00'::bytea;
    BEGIN
        SELECT seq + 1, hash INTO next_seq, prev FROM audit_head WHERE id = 1 FOR UPDATE;
        digest := encode(sha256(
            convert_to('spareline-audit-v1', 'UTF8') || nul || convert_to(next_seq::text, 'UTF8')
            || nul || convert_to(prev, 'UTF8') || nul || convert_to(NEW.at, 'UTF8')
            || nul || convert_to(NEW.actor, 'UTF8') || nul || convert_to(NEW.action, 'UTF8')
            || nul || convert_to(NEW.subject, 'UTF8') || nul || convert_to(NEW.payload, 'UTF8')
        ), 'hex');
        INSERT INTO audit_entry (seq, at, actor, action, subject, payload, prev_hash, hash, mac)
        VALUES (
            next_seq, NEW.at, NEW.actor, NEW.action, NEW.subject, NEW.payload, prev, digest,
            encode(sha256(
                decode(current_setting('spareline.audit_mac_outer'), 'hex')
                || sha256(decode(current_setting('spareline.audit_mac_inner'), 'hex')
                          || convert_to(digest, 'UTF8'))
            ), 'hex')
        );
        UPDATE audit_head SET seq = next_seq, hash = digest WHERE id = 1;
        RETURN NULL;
    END $$
    """,
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def link_without_deleting():
        engine = engine_finder()
        if engine.engine_type == "postgres":
            for statement in POSTGRES:
                await engine.run_ddl(statement)

    manager.add_raw(link_without_deleting)
    return manager
