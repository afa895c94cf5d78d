"""The audit log is append-only: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) of entries
and checkpoints. The head row starts at the genesis hash."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-24T22:16:19:026114"
VERSION = "1.38.0"
DESCRIPTION = "append-only and head"

GENESIS = "0" * 64
PROTECTED = ("audit_entry", "audit_checkpoint")


def statements(engine_type: str) -> list[str]:
    result = [f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS}')"]
    if engine_type == "sqlite":
        for table in PROTECTED:
            for event in ("UPDATE", "DELETE"):
                result.append(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        return result
    result.append(
        "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
    )
    for table in PROTECTED:
        result.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        result.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )
    return result


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def protect():
        engine = engine_finder()
        for statement in statements(engine.engine_type):
            await engine.run_ddl(statement)

    manager.add_raw(protect)
    return manager
