"""Indexes of the live day: a day's stop events by stop, positions and absences by van or engineer."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-06T18:00:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "live day indexes"

STATEMENTS = (
    "CREATE INDEX plan_stop_event_day_stop ON plan_stop_event (kind, plan_date, stop_key, at)",
    "CREATE INDEX fleet_position_latest ON fleet_position (kind, code, at)",
    "CREATE INDEX fleet_absence_of ON fleet_absence (kind, code, ends_at)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
