"""The job queue's schema in the service's PostgreSQL database: applied by the release
(``python -m api migrate``), idempotently.

Procrastinate ships its whole schema (``SchemaManager.get_schema()``) and, for each later version, SQL
migration files (``SchemaManager.get_migrations_path()``), named
``{xx.yy.zz}_{nn}_{pre|post}_{what}.sql``; it leaves keeping track of them to its user. This module
keeps track in two tables of its own: ``queue_schema_migration`` (each file applied, or covered by the
whole schema) and ``queue_schema_release`` (the Procrastinate version of each release).

* No ``procrastinate_jobs`` table yet: the whole schema is applied, and every migration file shipped
  with the installed version counts as applied.
* Otherwise, the files not applied yet, in order: a ``pre`` file as soon as it ships (it is written to
  work with the code before it), a ``post`` file (or an older one marked neither, which Procrastinate
  counts as ``post``) only once a release of its version or later has gone out, since the processes
  still running during a release run the previous release's code. If a ``post`` file that must wait
  comes before another pending file, the release stops and says which version to release first:
  Procrastinate's migrations are applied one version at a time.

It all runs in one transaction, under a transaction-level advisory lock, so two releases at once apply
nothing twice.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path

import packaging.version
import psycopg
from procrastinate.schema import SchemaManager

LOCK_KEY = 7_263_115_040_931_457_001
"""The advisory lock of the queue schema step (an arbitrary constant of this service)."""

_FILE = re.compile(r"^(\d+)\.(\d+)\.(\d+)_(\d+)_(?:(pre|post)_)?.*\.sql$")

_TRACKING = [
    "CREATE TABLE IF NOT EXISTS queue_schema_migration "
    "(name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), by_schema BOOLEAN NOT NULL)",
    "CREATE TABLE IF NOT EXISTS queue_schema_release "
    "(id BIGSERIAL PRIMARY KEY, version TEXT NOT NULL, released_at TIMESTAMPTZ NOT NULL DEFAULT now())",
]


class QueueSchemaError(RuntimeError):
    """The queue's schema cannot be brought to the installed version in one release."""


Version = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Migration:
    """One of Procrastinate's migration files."""

    name: str
    version: Version
    post: bool

    @classmethod
    def parse(cls, name: str) -> Migration | None:
        """The migration a file name describes; None for a name that is not a migration's."""
        match = _FILE.match(name)
        if match is None:
            return None
        major, minor, patch, _serial, kind = match.groups()
        return cls(name, (int(major), int(minor), int(patch)), kind != "pre")


@dataclass(frozen=True, slots=True)
class QueueSchemaResult:
    """What the step did: ``created`` the whole schema, and the migration files it ``applied``."""

    created: bool
    applied: tuple[str, ...]
    version: str


def shipped_migrations(folder: Path | None = None) -> list[Migration]:
    """The migration files shipped with the installed Procrastinate, in order."""
    folder = folder or Path(SchemaManager.get_migrations_path())
    found = (Migration.parse(path.name) for path in folder.glob("*.sql"))
    return sorted((m for m in found if m is not None), key=lambda m: m.name)


def parse_version(text: str) -> Version:
    """``"3.10.0"`` as ``(3, 10, 0)``."""
    release = (*packaging.version.Version(text).release, 0, 0)
    return release[0], release[1], release[2]


def plan(pending: list[Migration], last_release: Version | None) -> list[Migration]:
    """The pending migrations this release applies, in order (see the module docstring).

    Raises:
        QueueSchemaError: a ``post`` migration must wait for a release of its version, and a later
            pending migration would have to go before it.
    """
    chosen: list[Migration] = []
    for position, migration in enumerate(pending):
        if migration.post and (last_release is None or migration.version > last_release):
            later = pending[position + 1 :]
            if any(m.version > migration.version for m in later):
                version = ".".join(map(str, migration.version))
                raise QueueSchemaError(
                    f"the job queue's migration {migration.name} must be applied after a release of "
                    f"Procrastinate {version} and before the migrations of later versions: release "
                    f"with Procrastinate {version} first, then this version"
                )
            continue
        chosen.append(migration)
    return chosen


async def apply_queue_schema(
    conninfo: str, *, installed: str | None = None, folder: Path | None = None
) -> QueueSchemaResult:
    """Bring the queue's schema in the database at ``conninfo`` (a libpq URL) to the installed
    Procrastinate version (``installed`` and ``folder`` stand in for it in tests)."""
    installed = installed or importlib.metadata.version("procrastinate")
    folder = folder or Path(SchemaManager.get_migrations_path())
    shipped = shipped_migrations(folder)
    async with await psycopg.AsyncConnection.connect(conninfo) as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        for statement in _TRACKING:
            await connection.execute(statement)
        exists = await (
            await connection.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
        ).fetchone()
        if not exists or not exists[0]:
            await connection.execute(SchemaManager.get_schema())
            await _record(connection, [m.name for m in shipped], by_schema=True)
            await _released(connection, installed)
            return QueueSchemaResult(True, (), installed)
        rows = await (await connection.execute("SELECT name FROM queue_schema_migration")).fetchall()
        known = {row[0] for row in rows}
        if not known:
            # A schema applied before this step kept track (``procrastinate schema --apply``): taken as
            # the installed version's.
            await _record(connection, [m.name for m in shipped], by_schema=True)
            await _released(connection, installed)
            return QueueSchemaResult(False, (), installed)
        last = await (
            await connection.execute("SELECT version FROM queue_schema_release ORDER BY id DESC LIMIT 1")
        ).fetchone()
        chosen = plan([m for m in shipped if m.name not in known], parse_version(last[0]) if last else None)
        for migration in chosen:
            await connection.execute((folder / migration.name).read_text(encoding="utf-8"))
            await _record(connection, [migration.name], by_schema=False)
        await _released(connection, installed)
        return QueueSchemaResult(False, tuple(m.name for m in chosen), installed)


async def _record(connection: psycopg.AsyncConnection, names: list[str], *, by_schema: bool) -> None:
    async with connection.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO queue_schema_migration (name, by_schema) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [(name, by_schema) for name in names],
        )


async def _released(connection: psycopg.AsyncConnection, version: str) -> None:
    """Record a release of ``version``, unless the last one was of the same version."""
    await connection.execute(
        "INSERT INTO queue_schema_release (version) SELECT %(v)s WHERE %(v)s IS DISTINCT FROM "
        "(SELECT version FROM queue_schema_release ORDER BY id DESC LIMIT 1)",
        {"v": version},
    )
