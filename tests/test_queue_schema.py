"""The job queue's schema, applied by the release (``python -m api migrate``) on PostgreSQL: the whole
schema once, nothing the second time, and later versions' migration files in Procrastinate's order
(``pre`` with the release that ships them, ``post`` once that release is out)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from jobs import QueueSchemaError, apply_queue_schema
from jobs.schema import Migration, plan, shipped_migrations
from tests.conftest import POSTGRES_ADMIN_URL, _admin, migrate


def m(name: str) -> Migration:
    parsed = Migration.parse(name)
    assert parsed is not None
    return parsed


def test_migration_file_names_are_read_as_procrastinate_names_them():
    assert m("03.04.00_01_pre_add_retry_failed_job_procedure.sql") == Migration(
        "03.04.00_01_pre_add_retry_failed_job_procedure.sql", (3, 4, 0), post=False
    )
    assert m("03.04.00_50_post_add_retry_failed_job_procedure.sql").post
    assert m("00.05.00_01_drop_started_at_column.sql").post, "unmarked older files count as post"
    assert Migration.parse("__init__.py") is None
    shipped = shipped_migrations()
    assert shipped == sorted(shipped, key=lambda migration: migration.name)
    assert len(shipped) > 30


def test_post_migrations_wait_for_a_release_of_their_version():
    pre, post = m("03.11.00_01_pre_a.sql"), m("03.11.00_50_post_a.sql")
    assert plan([pre, post], last_release=(3, 10, 0)) == [pre]
    assert plan([post], last_release=(3, 11, 0)) == [post]
    later = m("03.12.00_01_pre_b.sql")
    with pytest.raises(QueueSchemaError, match=r"release with Procrastinate 3\.11\.0 first"):
        plan([post, later], last_release=(3, 10, 0))
    assert plan([post, later], last_release=(3, 11, 0)) == [post, later]


@pytest.fixture
def empty_database(postgres_database: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped afterwards)."""
    name = f"spareline_queue_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await connection.close()
    return {row["tablename"] for row in rows}


@pytest.mark.postgres
async def test_the_schema_is_applied_once(empty_database):
    created = await apply_queue_schema(empty_database)
    assert created.created
    assert created.applied == ()
    assert {"procrastinate_jobs", "procrastinate_periodic_defers", "procrastinate_workers"} <= await tables(
        empty_database
    )
    again = await apply_queue_schema(empty_database)
    assert (again.created, again.applied) == (False, ())


@pytest.mark.postgres
async def test_the_migrate_command_applies_the_queue_schema_on_postgresql(empty_database):
    migrate(empty_database)
    assert {"procrastinate_jobs", "queue_schema_migration", "audit_entry"} <= await tables(empty_database)
    migrate(empty_database)  # again: nothing changes (tests/test_migrations.py compares the catalogue)


@pytest.mark.postgres
async def test_a_later_versions_migrations_are_applied_pre_then_post(empty_database, tmp_path):
    await apply_queue_schema(empty_database)
    folder = tmp_path / "migrations"
    shutil.copytree(_shipped_folder(), folder)
    (folder / "03.11.00_01_pre_add_probe.sql").write_text("CREATE TABLE queue_probe_pre (id int);")
    (folder / "03.11.00_50_post_add_probe.sql").write_text("CREATE TABLE queue_probe_post (id int);")

    first = await apply_queue_schema(empty_database, installed="3.11.0", folder=folder)
    assert first.applied == ("03.11.00_01_pre_add_probe.sql",)
    assert "queue_probe_pre" in await tables(empty_database)
    assert "queue_probe_post" not in await tables(empty_database), "post waits for the release to be out"

    second = await apply_queue_schema(empty_database, installed="3.11.0", folder=folder)
    assert second.applied == ("03.11.00_50_post_add_probe.sql",)
    assert "queue_probe_post" in await tables(empty_database)
    assert (await apply_queue_schema(empty_database, installed="3.11.0", folder=folder)).applied == ()


def _shipped_folder() -> Path:
    from procrastinate.schema import SchemaManager

    return Path(SchemaManager.get_migrations_path())
