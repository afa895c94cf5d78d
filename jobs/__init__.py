"""Background work: the periodic jobs (`periodic`), run by the job queue on PostgreSQL (`queue`:
Procrastinate workers, with the queue's schema applied by `schema`) or by the in-process runner where
there is no queue (`in_process`: SQLite). The jobs run in the domain context their caller gives; this
package imports nothing of the API."""

from jobs.in_process import InProcessRunner
from jobs.periodic import (
    PERIODIC_JOBS,
    PeriodicJob,
    PeriodicParams,
    checkpoint_audit,
    deliver_notifications,
    mark_breaches_and_expire,
    purge_audit_queue,
    purge_idempotency,
)
from jobs.queue import (
    PERIODIC_QUEUE,
    QUEUES,
    SOLVE_RETRY,
    SOLVES_QUEUE,
    JobEnvironment,
    QueuedSolves,
    build_queue,
    queue_depth_gauge,
    worker_options,
)
from jobs.schema import QueueSchemaError, QueueSchemaResult, apply_queue_schema
from jobs.solve_metrics import observe_solve

__all__ = [
    "PERIODIC_JOBS",
    "PERIODIC_QUEUE",
    "QUEUES",
    "SOLVES_QUEUE",
    "SOLVE_RETRY",
    "InProcessRunner",
    "JobEnvironment",
    "PeriodicJob",
    "PeriodicParams",
    "QueueSchemaError",
    "QueueSchemaResult",
    "QueuedSolves",
    "apply_queue_schema",
    "build_queue",
    "checkpoint_audit",
    "deliver_notifications",
    "mark_breaches_and_expire",
    "observe_solve",
    "purge_audit_queue",
    "purge_idempotency",
    "queue_depth_gauge",
    "worker_options",
]
