"""Uploaded documents are never changed or removed (triggers refuse it), and the default sanitization
policies: NIST SP 800-88 categories by classification level, for every media type."""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-27T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only documents, default sanitization policies"

_DESTROY = ["shred", "disintegrate", "pulverize", "incinerate", "melt"]
_PURGE = ["overwrite", "block_erase", "crypto_erase", "degauss"]
DEFAULT_POLICIES = (
    # name, classification level, media type, methods, techniques, note
    ("top secret/*", "top secret", "*", ["destroy"], _DESTROY, "Destroy only."),
    ("top_secret/*", "top_secret", "*", ["destroy"], _DESTROY, "Destroy only."),
    ("secret/*", "secret", "*", ["destroy"], _DESTROY, "Destroy only."),
    ("confidential/*", "confidential", "*", ["purge", "destroy"], _PURGE + _DESTROY, "Purge or destroy."),
    (
        "confidential/ssd",
        "confidential",
        "ssd",
        ["purge", "destroy"],
        ["block_erase", "crypto_erase", *_DESTROY],
        "Flash media: overwriting does not reach every cell, and degaussing does nothing.",
    ),
    ("restricted/*", "restricted", "*", ["clear", "purge", "destroy"], ["overwrite", *_PURGE[1:], *_DESTROY], ""),
    ("unclassified/*", "", "*", ["clear", "purge", "destroy"], ["overwrite", *_PURGE[1:], *_DESTROY], ""),
)


def statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [
            "CREATE TRIGGER retention_document_no_update BEFORE UPDATE ON retention_document "
            "BEGIN SELECT RAISE(ABORT, 'retention_document is append-only'); END",
            "CREATE TRIGGER retention_document_no_delete BEFORE DELETE ON retention_document "
            "BEGIN SELECT RAISE(ABORT, 'retention_document is append-only'); END",
        ]
    return [
        "CREATE TRIGGER retention_document_append_only BEFORE UPDATE OR DELETE ON retention_document "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
        "CREATE TRIGGER retention_document_no_truncate BEFORE TRUNCATE ON retention_document "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
    ]


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def policy_rows() -> list[str]:
    return [
        "INSERT INTO sanitization_policy (name, classification_level, media_type, methods, techniques, note, "
        f"updated_at, updated_by) VALUES ({_quoted(name)}, {_quoted(level)}, {_quoted(media)}, "
        f"{_quoted(json.dumps(methods))}, {_quoted(json.dumps(sorted(techniques)))}, {_quoted(note)}, "
        "CURRENT_TIMESTAMP, 'default')"
        for name, level, media, methods, techniques, note in DEFAULT_POLICIES
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="secure_media", description=DESCRIPTION)

    async def apply():
        engine = engine_finder()
        for statement in [*statements(engine.engine_type), *policy_rows()]:
            await engine.run_ddl(statement)

    manager.add_raw(apply)
    return manager
