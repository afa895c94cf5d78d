"""Piccolo app registration for the notifications tables."""

import os

from piccolo.conf.apps import AppConfig

from inventory.notifications.tables import Delivery, DeliveryAttempt, NotificationEvent, Subscription

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Subscription, NotificationEvent, Delivery, DeliveryAttempt],
    migration_dependencies=["inventory.customers.piccolo_app"],
    commands=[],
)
