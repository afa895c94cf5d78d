"""The idempotency record's unique (scope, key) index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-24T21:19:48:140368"
VERSION = "1.38.0"
DESCRIPTION = "constraints"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create_constraints():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX idempotency_record_one_answer_per_key ON idempotency_record (scope, key)"
        )

    manager.add_raw(create_constraints)
    return manager
