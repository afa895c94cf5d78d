"""PostgreSQL links audit entries at COMMIT: an append queues the entry in ``audit_pending`` and a deferred
constraint trigger links it (head row lock, SHA-256 hash and HMAC, insert, head moved) as the transaction
commits. The head row is then locked only for the commit itself, never across a round trip to the
service. The MAC key's padded halves come from transaction-local settings, never from a table.

SQLite needs none of this: its writers are serialised by the database lock already.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-25T01:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "link audit entries at commit on PostgreSQL"

# Frozen with this migration: the same message as `inventory.audit_chain.entry_hash` and MAC as
# `entry_mac` (HMAC-SHA256 from the padded keys of `hmac_pads`).
POSTGRES = [
    """
    CREATE UNLOGGED TABLE audit_pending (
        id BIGSERIAL PRIMARY KEY,
        at VARCHAR(40) NOT NULL,
        actor VARCHAR(64) NOT NULL,
        action VARCHAR(64) NOT NULL,
        subject VARCHAR(200) NOT NULL,
        payload TEXT NOT NULL
    )
    """,
    r"""
    CREATE FUNCTION audit_link_pending() RETURNS trigger LANGUAGE plpgsql AS $$
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
        DELETE FROM audit_pending WHERE id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE CONSTRAINT TRIGGER audit_pending_link AFTER INSERT ON audit_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_link_pending()
    """,
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def link_at_commit():
        engine = engine_finder()
        if engine.engine_type == "postgres":
            for statement in POSTGRES:
                await engine.run_ddl(statement)

    manager.add_raw(link_at_commit)
    return manager
