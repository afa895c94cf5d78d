from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Timestamptz

ID = "2026-12-28T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index the outbox by time and deliveries by event, for the purge"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="notifications", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="NotificationEvent",
        tablename="notification_event",
        column_name="occurred_at",
        db_column_name="occurred_at",
        params={"index": True},
        old_params={"index": False},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Delivery",
        tablename="notification_delivery",
        column_name="event",
        db_column_name="event",
        params={"index": True},
        old_params={"index": False},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    return manager
