"""Piccolo configuration: the engine comes from DATABASE_URL (SQLite file by default, or PostgreSQL)."""

from piccolo.conf.apps import AppRegistry

from api.database import PICCOLO_APPS
from api.settings import Settings
from inventory.persistence import create_engine

_settings = Settings()

DB = create_engine(_settings.database_url, busy_timeout_s=_settings.sqlite_busy_timeout_s)

APP_REGISTRY = AppRegistry(apps=PICCOLO_APPS)
