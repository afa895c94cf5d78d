"""The objects the service holds from start-up on are left out of the garbage collector's full passes.

Once the application has started, the process holds some 200,000 objects that live as long as it does:
modules, classes, functions, the routes, the models, the catalogues. CPython's collector visits every
one of them in each full pass (its oldest generation), which it makes whenever enough newer objects have
survived: every few page requests, since a page of 300 stops creates tens of thousands of objects. A
full pass over them took 190-250 ms on the benchmark machine, stopping every request in the process that
long. `gc.freeze` moves them to a generation the collector does not visit; what requests create is still
collected as before.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar


@asynccontextmanager
async def frozen_heap_lifespan(_app: Litestar) -> AsyncIterator[None]:
    """An app lifespan, the last to start: collect once, then freeze what is left; thaw it at the end."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
