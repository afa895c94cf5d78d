"""Solver child processes: the CPU-heavy work of a plan never runs in a process that serves HTTP.

OR-Tools and PyVRP hold the interpreter lock for their whole search. Run in a thread of the web process,
a 25 s solve froze every request of that process (and uvicorn's supervisor killed workers whose event
loop stalled). `SolverPool` runs the module-level functions of `routing.work` in child processes instead,
with `pebble.ProcessPool` (pebble 5.2.3):

* each task has a hard timeout; pebble measures it from the moment a worker takes the task (not while it
  waits for a free worker) and, when it expires, stops that worker (SIGTERM, then SIGKILL after 3 s,
  since a solver holding the interpreter lock does not run Python signal handlers) and starts another.
  The caller gets `routing.errors.SolverOverran`; a worker that dies on its own gives `SolverCrashed`;
* cancelling the awaiting task (a request gone, a shutting-down queue) cancels pebble's future, which
  stops the worker running it;
* the processes start from a ``forkserver`` (never a plain fork of a process with threads and an event
  loop) that has imported the solver modules once (`routing.work.PRELOAD`), so that a worker starts in
  milliseconds and no solve pays for imports; each worker imports them again on start (a no-op when the
  fork server did), in case another part of the process started the fork server first;
* the pool starts on first use, in a worker thread (starting processes blocks), and `close` stops it,
  killing any worker still running.

Awaiting a task (`asyncio.wrap_future` of pebble's future) never blocks the event loop. The work
functions and their arguments must pickle: `routing.work` holds them.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import multiprocessing.forkserver
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import anyio.to_thread
from pebble import ProcessExpired, ProcessFuture, ProcessPool

from routing.errors import SolverCrashed, SolverOverran
from routing.work import PRELOAD

A = TypeVar("A")
T = TypeVar("T")

START_METHOD = "forkserver"


def _preload() -> None:
    """A worker's initializer: import the solver modules before taking any task."""
    for module in PRELOAD:
        importlib.import_module(module)


def _context() -> Any:
    context = multiprocessing.get_context(START_METHOD)
    context.set_forkserver_preload(list(PRELOAD))
    return context


def warm_up() -> None:
    """Start the fork server of this process with the solver modules imported, if it is not running.

    Blocking (it waits for the imports); run it in a worker thread. Solver processes start from it.
    """
    _context()
    multiprocessing.forkserver.ensure_running()


class SolverPool:
    """``workers`` solver processes of this process, started on first use.

    `run` awaits one function of `routing.work` in a child with a hard timeout; at most ``workers`` run at
    once and the others wait their turn (the timeout starts when a worker takes the task).
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"a solver pool needs at least one worker, got {workers}")
        self.workers = workers
        self._pool: ProcessPool | None = None
        self._lock = threading.Lock()
        self._futures: set[ProcessFuture[Any]] = set()

    def __repr__(self) -> str:
        return f"SolverPool(workers={self.workers}, running={self._pool is not None})"

    def _running(self) -> ProcessPool:
        """The pebble pool, started (again, if it broke or was closed). Blocking: starts processes."""
        with self._lock:
            if self._pool is not None and not self._pool.active:
                broken, self._pool = self._pool, None
                broken.stop()
                broken.join()
            if self._pool is None:
                self._pool = ProcessPool(max_workers=self.workers, initializer=_preload, context=_context())
            return self._pool

    def _schedule(self, function: Callable[[A], T], argument: A, timeout_s: float) -> ProcessFuture[T]:
        return self._running().schedule(function, args=(argument,), timeout=timeout_s)

    async def run(self, function: Callable[[A], T], argument: A, *, timeout_s: float) -> T:
        """``function(argument)`` in a solver process; what it returns or raises.

        Raises:
            SolverOverran: it ran longer than ``timeout_s`` (counted from when a worker took it) and its
                process was killed.
            SolverCrashed: its process ended abnormally, or the pool broke.
        """
        future = await anyio.to_thread.run_sync(self._schedule, function, argument, timeout_s)
        self._futures.add(future)
        try:
            return await asyncio.wrap_future(future)
        except TimeoutError as exc:
            if getattr(exc, "traceback", None) is not None:
                raise  # raised by the function itself, in the child (pebble attaches its traceback)
            raise SolverOverran(
                f"the solver ran past {timeout_s:g} s and was stopped", timeout_s=round(timeout_s, 3)
            ) from exc
        except ProcessExpired as exc:
            raise SolverCrashed(
                f"the solver process ended abnormally (exit code {exc.exitcode})", exitcode=exc.exitcode
            ) from exc
        except BrokenProcessPool as exc:
            raise SolverCrashed("the solver processes could not be started or all died") from exc
        finally:
            self._futures.discard(future)

    async def close(self) -> None:
        """Stop the pool now: tasks still running are cancelled and their processes killed.

        A later `run` starts a new pool.
        """
        with self._lock:
            pool, self._pool = self._pool, None
        for future in list(self._futures):
            future.cancel()
        if pool is not None:
            pool.stop()
            await anyio.to_thread.run_sync(pool.join)
