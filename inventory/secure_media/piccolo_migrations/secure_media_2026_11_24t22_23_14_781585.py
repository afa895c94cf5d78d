"""Retention events never change and retention records are never deleted: triggers refuse it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-24T22:23:14:781585"
VERSION = "1.38.0"
DESCRIPTION = "append-only"


def statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [
            "CREATE TRIGGER retention_event_no_update BEFORE UPDATE ON retention_event "
            "BEGIN SELECT RAISE(ABORT, 'retention_event is append-only'); END",
            "CREATE TRIGGER retention_event_no_delete BEFORE DELETE ON retention_event "
            "BEGIN SELECT RAISE(ABORT, 'retention_event is append-only'); END",
            "CREATE TRIGGER retention_record_no_delete BEFORE DELETE ON retention_record "
            "BEGIN SELECT RAISE(ABORT, 'retention_record is never deleted'); END",
        ]
    # audit_append_only() was created by the audit migrations.
    return [
        "CREATE TRIGGER retention_event_append_only BEFORE UPDATE OR DELETE ON retention_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
        "CREATE TRIGGER retention_record_no_delete BEFORE DELETE ON retention_record "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
        "CREATE TRIGGER retention_no_truncate BEFORE TRUNCATE ON retention_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
        "CREATE TRIGGER retention_record_no_truncate BEFORE TRUNCATE ON retention_record "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="secure_media", description=DESCRIPTION)

    async def protect():
        engine = engine_finder()
        for statement in statements(engine.engine_type):
            await engine.run_ddl(statement)

    manager.add_raw(protect)
    return manager
