"""Several dispatch plans of one date may be committed, one per set of depots: the index that allowed one
committed dispatch plan per date goes. Committing a plan supersedes the committed plans that share a
depot with it (`routing.plan_store.commit_plan`); two plans that would visit one ticket, or carry one
part, still cannot both be committed (the unique indexes of ``fulfilment``)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-22T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "committed dispatch plans per depot"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS route_plan_one_committed_dispatch_per_day")

    manager.add_raw(drop_index)
    return manager
