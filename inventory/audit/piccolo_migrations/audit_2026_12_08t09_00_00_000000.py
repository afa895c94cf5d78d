"""One signed checkpoint per chain position: a unique index on ``audit_checkpoint.seq``.

Checkpoints used to be signed by a sweep in every web process, so a database may hold several checkpoints
of the same position, made at the same moment by different processes. They state the same thing (the
chain's entry at that position has that hash; only their time and signature differ), so the earliest of
each position is kept and the others are removed, with the append-only trigger set aside for that one
statement, before the index is created. Checkpoints exported before still verify against the chain.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-08T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one checkpoint per chain position"

UNIQUE = "CREATE UNIQUE INDEX audit_checkpoint_one_per_seq ON audit_checkpoint (seq)"

SQLITE = [
    "DROP TRIGGER audit_checkpoint_no_delete",
    "DELETE FROM audit_checkpoint WHERE id NOT IN (SELECT MIN(id) FROM audit_checkpoint GROUP BY seq)",
    # As created by the append-only migration of 24 November.
    "CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint "
    "BEGIN SELECT RAISE(ABORT, 'audit_checkpoint is append-only'); END",
    UNIQUE,
]
POSTGRES = [
    "ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_append_only",
    "DELETE FROM audit_checkpoint later USING audit_checkpoint earlier "
    "WHERE later.seq = earlier.seq AND later.id > earlier.id",
    "ALTER TABLE audit_checkpoint ENABLE TRIGGER audit_checkpoint_append_only",
    UNIQUE,
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def one_per_seq():
        engine = engine_finder()
        for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(one_per_seq)
    return manager
