"""Piccolo's configuration, for its CLI and the migrations (``python -m api migrate``): the service's
apps, and ``DB``, the engine for ``DATABASE_URL``.

Importing this module reads no settings and touches no file or server: ``DB`` is built when Piccolo
first asks for it (a module ``__getattr__``, PEP 562), and only then is a missing SQLite file created
with its folder, as migrating a new database needs. The service's tables do not use ``DB``: they run on
the engine of the application serving (`inventory.persistence.SCOPED_ENGINE`).
"""

from __future__ import annotations

from typing import Any

from piccolo.conf.apps import AppRegistry

from api.database import PICCOLO_APPS

APP_REGISTRY = AppRegistry(apps=PICCOLO_APPS)


def __getattr__(name: str) -> Any:
    if name != "DB":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from api.settings import Settings
    from inventory.persistence import create_engine

    settings = Settings()
    engine = create_engine(settings.database_url, busy_timeout_s=settings.sqlite_busy_timeout_s)
    globals()["DB"] = engine
    return engine
