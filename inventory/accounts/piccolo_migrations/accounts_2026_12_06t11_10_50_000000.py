"""The login throttle's counters: one row per counter, so that an attempt counts with one conditional
upsert on ``(kind, subject)``."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T11:10:50:000000"
VERSION = "1.38.0"
DESCRIPTION = "one login attempt counter per kind and subject"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create_constraints():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX login_attempt_one_counter_per_subject ON login_attempt (kind, subject)"
        )

    manager.add_raw(create_constraints)
    return manager
