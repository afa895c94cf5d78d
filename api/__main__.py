"""Operator commands: ``python -m api COMMAND``; ``python -m api --help`` lists them."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from api.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "migrate",
        help="apply every pending migration to DATABASE_URL, and on PostgreSQL the job queue's schema "
        "(the release step)",
    )
    demo = commands.add_parser("load-demo", help="load the demo data set")
    demo.add_argument("--if-empty", action="store_true", help="do nothing if the database already has depots")
    ledger = commands.add_parser(
        "check-ledger",
        help="compare stored stock with the movement ledger, and each movement with its audit chain "
        "entry; exit 1 on a difference",
    )
    ledger.add_argument(
        "--without-chain",
        action="store_true",
        help="compare stock with the ledger only (for a benchmark database written partly without the chain)",
    )
    user = commands.add_parser(
        "create-user", help="add a user (password from SPARELINE_PASSWORD or a prompt)"
    )
    user.add_argument("username")
    user.add_argument("role", choices=["admin", "warehouse", "dispatcher", "compliance", "customer"])
    user.add_argument("--customer", help="customer company code, for the customer role")
    commands.add_parser("purge-idempotency", help="delete idempotency records older than 24 hours")
    verify = commands.add_parser(
        "audit-verify",
        help="walk the audit chain and check every retention record against it; exit 1 and name the "
        "first bad entry and every record that differs",
    )
    verify.add_argument(
        "--checkpoints", help="a checkpoint export (JSON from audit-export) kept outside the service"
    )
    commands.add_parser("audit-checkpoint", help="sign the audit chain head now")
    commands.add_parser("audit-export", help="print every signed checkpoint and the public key as JSON")
    commands.add_parser(
        "sweep",
        help="run the every-minute periodic jobs once: mark SLA breaches, expire reservations, "
        "checkpoint the audit chain when due, purge its linked queue",
    )
    _worker_parser(commands)
    serve = commands.add_parser(
        "serve",
        help="serve the API in one process with everything it needs: on SQLite the periodic jobs "
        "in-process, on PostgreSQL a job queue worker in the same process",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    commands.add_parser(
        "reset-metrics",
        help="empty PROMETHEUS_MULTIPROC_DIR (creating it if missing) before the web's workers start; "
        "nothing when it is not set",
    )
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "reset-metrics":
        return _reset_metrics()
    if args.command == "serve":
        return _serve(settings, host=args.host, port=args.port)
    if args.command == "worker":
        return _worker(args, settings)
    return asyncio.run(_run(args, operator_settings(settings)))


def _worker_parser(commands: argparse._SubParsersAction) -> None:
    from jobs import QUEUES

    worker = commands.add_parser(
        "worker",
        help="run a job queue worker (PostgreSQL): the periodic jobs, once per period across all "
        "workers, and the route solves; run as many as needed",
        description="Run a Procrastinate worker on DATABASE_URL (PostgreSQL only) until SIGTERM or SIGINT. "
        "It runs the periodic jobs (each once per period however many workers run) and the route "
        "solves. On SIGTERM it takes no new job and lets its running jobs finish for up to the "
        "graceful timeout; it then cancels those still running, which go back to the queue for another "
        "worker (a second SIGTERM, or SIGKILL, stops it at once: its jobs are then given to another "
        "worker by the stalled-job recovery, WORKER_STALLED_AFTER_S after its last heartbeat).",
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        help="jobs run at once (default WORKER_CONCURRENCY, 2); each solve runs in a child process",
    )
    worker.add_argument(
        "--queue",
        action="append",
        choices=QUEUES,
        dest="queues",
        help="take jobs only from this queue (repeatable; default WORKER_QUEUES, or every queue): "
        "'periodic' for the periodic jobs and the queue's upkeep, 'solves' for route solves",
    )
    worker.add_argument(
        "--shutdown-graceful-timeout",
        type=float,
        metavar="SECONDS",
        help="on SIGTERM, how long running jobs may take to finish before they are cancelled and queued "
        "again (default WORKER_SHUTDOWN_GRACEFUL_TIMEOUT_S, 20; keep it below the time the process "
        "manager waits before SIGKILL)",
    )


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from api.logging import configure_logging
    from api.worker import refuse_sqlite, run_worker

    if problem := refuse_sqlite(settings):
        print(f"python -m api worker: {problem}", file=sys.stderr)
        return 2
    configure_logging(settings)
    if settings.worker_metrics_port is not None:
        from observability import serve_process_metrics

        serve_process_metrics(settings.worker_metrics_address, settings.worker_metrics_port)
    asyncio.run(
        run_worker(
            settings,
            concurrency=args.concurrency or settings.worker_concurrency,
            queues=args.queues or settings.worker_queues,
            shutdown_graceful_timeout_s=(
                args.shutdown_graceful_timeout
                if args.shutdown_graceful_timeout is not None
                else settings.worker_shutdown_graceful_timeout_s
            ),
        )
    )
    return 0


SERVE_GRACEFUL_SHUTDOWN_S = 20
"""How long ``serve`` lets open requests finish on SIGTERM (as the Procfile's web process does)."""


def _serve(settings: Settings, *, host: str, port: int) -> int:
    """Serve in one process: the web and, on PostgreSQL, a worker in its lifespan."""
    import uvicorn

    from api.app import create_app

    if settings.web_concurrency > 1:
        if settings.is_sqlite:
            print(
                f"python -m api serve: WEB_CONCURRENCY={settings.web_concurrency}, but SQLite serves one "
                "web process (it also runs the periodic jobs). Unset WEB_CONCURRENCY, or use PostgreSQL "
                "and the Procfile's process types (make run-prod) for several web processes",
                file=sys.stderr,
            )
            return 2
        print(
            f"python -m api serve runs one process (WEB_CONCURRENCY={settings.web_concurrency} ignored); "
            "for several, run the Procfile's process types (make run-prod)",
            file=sys.stderr,
        )
    if settings.background_mode == "queue":
        settings = settings.model_copy(update={"worker_in_web": True})
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        timeout_graceful_shutdown=SERVE_GRACEFUL_SHUTDOWN_S,
        log_config=None,
        # As the Procfile's web process: no proxy is trusted unless FORWARDED_ALLOW_IPS names it.
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", ""),
    )
    return 0


def _reset_metrics() -> int:
    from observability.metrics import MULTIPROC_ENV, multiprocess_dir, reset_multiprocess_dir

    path = multiprocess_dir()
    if path is None:
        print(f"{MULTIPROC_ENV} is not set: each process serves its own metrics")
        return 0
    removed = reset_multiprocess_dir(path)
    print(f"{MULTIPROC_ENV}={path}: removed {removed} file(s) of earlier processes")
    return 0


def operator_settings(settings: Settings) -> Settings:
    """The commands' settings: without a statement timeout unless PG_STATEMENT_TIMEOUT_S is set, because
    they read whole tables (check-ledger, audit-verify) where the web's limit is meant for requests."""
    if "pg_statement_timeout_s" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"pg_statement_timeout_s": 0})


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        return await _release(settings)
    from api.domain_context import DomainContext

    with DomainContext.from_settings(settings).entered():
        return await _command(args, settings)


async def _command(args: argparse.Namespace, settings: Settings) -> int:
    """A command other than ``migrate``, in the domain context of ``settings``."""
    now = datetime.now(UTC)
    if args.command == "load-demo":
        return await _load_demo(settings, now, if_empty=args.if_empty)
    if args.command == "check-ledger":
        return await _check_ledger(with_chain=not args.without_chain)
    if args.command == "create-user":
        from inventory.accounts import Role, create_user

        password = os.environ.get("SPARELINE_PASSWORD") or getpass.getpass("password: ")
        await create_user(
            username=args.username,
            password=password,
            role=Role(args.role),
            customer=args.customer,
            passwords=settings.passwords(),
            now=now,
        )
        print(f"created {args.role} user {args.username}")
        return 0
    if args.command == "sweep":
        from api.sweeper import sweep_once

        result = await sweep_once(
            now,
            checkpoint_every_entries=settings.audit_checkpoint_every_entries,
            checkpoint_every_seconds=settings.audit_checkpoint_every_seconds,
        )
        print(f"{result.breaches} breach(es) marked, {result.expired_reservations} reservation(s) expired")
        return 0
    if args.command.startswith("audit-"):
        return await _audit(args, now)
    if args.command == "purge-idempotency":
        from inventory.accounts import purge_idempotency_records

        print(f"purged {await purge_idempotency_records(now)} idempotency record(s)")
        return 0
    return 2


async def _check_ledger(*, with_chain: bool) -> int:
    from inventory.stock import check_consistency, check_movements_against_chain

    problems = await check_consistency()
    for problem in problems:
        print(f"{problem.kind} {problem.key}: ledger {problem.ledger}, stored {problem.stored}")
    print("stock matches the ledger" if not problems else f"{len(problems)} difference(s)")
    if not with_chain:
        return 1 if problems else 0
    movements = await check_movements_against_chain()
    for mismatch in movements.mismatched:
        print(mismatch.description)
    if movements.mismatched_total > len(movements.mismatched):
        print(f"... and {movements.mismatched_total - len(movements.mismatched)} more")
    print(
        f"all {movements.movements_checked} movements match the audit chain"
        if not movements.mismatched_total
        else f"{movements.mismatched_total} movement(s) differ from the audit chain"
    )
    return 1 if problems or movements.mismatched_total else 0


async def _audit(args: argparse.Namespace, now: datetime) -> int:
    import json
    from dataclasses import asdict

    import anyio

    from inventory import audit
    from inventory.audit_chain import Checkpoint
    from inventory.secure_media import verify_audit

    if audit.keys().development:
        _warn_loudly(audit.DEVELOPMENT_KEYS_WARNING)
    if args.command == "audit-checkpoint":
        checkpoint = await audit.create_checkpoint(now)
        print(f"signed checkpoint at entry {checkpoint.seq}: {checkpoint.hash}")
        return 0
    if args.command == "audit-export":
        keys = audit.keys()
        export = {
            "public_key": keys.public_key_hex,
            "key_id": keys.key_id,
            "checkpoints": [asdict(c) for c in await audit.list_checkpoints()],
        }
        print(json.dumps(export, indent=2))
        return 0
    extra = []
    if args.checkpoints:
        exported = json.loads(await anyio.Path(args.checkpoints).read_text())
        extra = [Checkpoint(**c) for c in exported["checkpoints"]]
    verification = await verify_audit(extra)
    result = verification.chain
    if result.valid:
        print(
            f"audit chain valid: {result.length} entries, head {result.head}, "
            f"{result.checkpoints_checked} checkpoint(s) checked"
        )
    else:
        print(f"audit chain BROKEN at entry {result.first_bad_seq}: {result.reason}")
    records = verification.records
    for proof in records.mismatched:
        print(f"retention record {proof.record_id} DOES NOT MATCH the audit chain:")
        for difference in proof.differences:
            print(f"  - {difference}")
    if records.mismatched_total > len(records.mismatched):
        print(f"... and {records.mismatched_total - len(records.mismatched)} more records")
    print(f"{records.records_checked} retention record(s) checked, {records.mismatched_total} differ")
    if records.partly_covered:
        print(
            f"{records.partly_covered} record(s) were created before the chain carried every field of "
            "the certificate: only the fields their creation entry carries were checked"
        )
    return 0 if verification.valid else 1


def _warn_loudly(message: str) -> None:
    line = "!" * 78
    print(f"{line}\nWARNING: {message}\n{line}", file=sys.stderr)


async def _release(settings: Settings) -> int:
    """``migrate``, the release step: every step of `RELEASE_STEPS`, in order, inside the database's
    release lock (`inventory.persistence.release_lock`). Releases started together therefore run one
    after the other: the first applies everything, the others find nothing left to do and succeed too.
    Exit with the code of the first step that fails (the lock is released all the same)."""
    from inventory.persistence import release_lock

    def waiting() -> None:
        print("another release holds the release lock; waiting for it to finish", file=sys.stderr)

    async with release_lock(
        settings.database_url, connect_timeout_s=settings.pg_connect_timeout_s, on_wait=waiting
    ):
        for step in RELEASE_STEPS:
            code = await step(settings)
            if code != 0:
                return code
    return 0


async def _migrate_queue_schema(settings: Settings) -> int:
    """The job queue's schema (Procrastinate's), on PostgreSQL only: the whole schema when its tables are
    absent, else the migration files of later versions not applied yet (`jobs.schema`)."""
    if settings.is_sqlite:
        return 0
    from jobs import QueueSchemaError, apply_queue_schema

    try:
        result = await apply_queue_schema(settings.database_url)
    except QueueSchemaError as exc:
        print(f"job queue schema: {exc}", file=sys.stderr)
        return 1
    if result.created:
        print(f"job queue schema created (Procrastinate {result.version})")
    for name in result.applied:
        print(f"job queue migration applied: {name}")
    return 0


async def _migrate(_settings: Settings) -> int:
    """Every Piccolo migration not yet recorded in the ``migration`` table, app by app in dependency
    order, on ``piccolo_conf.DB`` (the engine for ``DATABASE_URL``)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all")
    if not result.success:
        print(result.message, file=sys.stderr)
        return 1
    return 0


ReleaseStep = Callable[[Settings], Awaitable[int]]

RELEASE_STEPS: tuple[ReleaseStep, ...] = (_migrate, _migrate_queue_schema)
"""Everything a release applies to the database, in order, each under the release lock; a step answers
its exit code (0 when it succeeded) and says on stderr why it failed. Add a step here for anything else a
release must apply before the new code serves. A step runs in every release, so it must find out what is
already applied and apply only the rest, as Piccolo's migrations and the queue's schema step do."""


async def _load_demo(settings: Settings, now: datetime, *, if_empty: bool) -> int:
    from fixtures.demo import is_empty, load_demo

    if not await is_empty():
        if if_empty:
            print("database already has data; demo not loaded")
            return 0
        print("the demo loads only into an empty database", file=sys.stderr)
        return 1
    summary = await load_demo(
        password=settings.demo_password.get_secret_value(), passwords=settings.passwords(), now=now
    )
    print(
        f"demo loaded: {summary.depots} depots, {summary.parts} parts, "
        f"{summary.serialized_units} serialized units, {summary.bulk_quantity} bulk items, "
        f"{summary.customers} customers, {summary.sites} sites, {summary.assets} assets, "
        f"{summary.tickets} tickets, {summary.retained_parts} retained secure parts, "
        f"{summary.vehicles} vehicles, {summary.engineers} engineers, {summary.users} users"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
