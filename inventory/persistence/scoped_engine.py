"""The engine of every table: Piccolo queries run on the engine of the store in use in their context.

Piccolo binds each table class to one engine (its documented ``db`` argument, or ``piccolo_conf.DB``
through ``engine_finder``), process-wide, and documents no way to choose the engine per query or per
application. The service needs one engine per application (`inventory.persistence.engines.using_store`),
so that two applications with different databases can serve in one process. Every table of the service
is therefore declared with ``db=SCOPED_ENGINE``: a `ScopedEngine`, which answers each call Piccolo makes
on a table's engine with the engine of `current_store()`.

This relies on what Piccolo does but does not document: its queries, DDL, transactions and query
building reach a table's engine only through ``table._meta.db``, and only through the methods and
attributes of ``piccolo.engine.base.Engine`` (``engine_type`` above all, which chooses the SQL each query
is built as). `ScopedEngine` forwards each of them, and any other attribute, to the engine in use.
``tests/test_scoped_engine.py`` fails, naming the installed Piccolo version, if Piccolo's ``Engine``
gains a method or attribute this module does not forward, or if queries stop following the store in use.

Outside any store's context, every use of a table raises `NoStoreInUse` instead of falling back to some
other database.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from piccolo.engine.base import BaseAtomic, BaseBatch, Engine
from piccolo.querystring import QueryString

from inventory.persistence.engines import current_store


def engine_in_use() -> Engine:
    """The Piccolo engine of the store in use in this context.

    Raises:
        NoStoreInUse: no store is in use here.
    """
    return current_store().engine  # type: ignore[return-value]


class ScopedEngine(Engine):
    """A Piccolo engine that is the engine of the store in use, wherever it is used (see the module)."""

    def __init__(self) -> None:
        # Engine.__init__ is not called: it would connect to a database to check its version. Every
        # attribute it sets is a property here, answered by the engine in use.
        pass

    def __repr__(self) -> str:
        return "<ScopedEngine: the engine of the store in use>"

    def __getattr__(self, name: str) -> Any:
        # Attributes of a particular engine (``pool``, ``path``, ``write_transaction``, ...).
        return getattr(engine_in_use(), name)

    # --- the attributes of piccolo.engine.base.Engine ------------------------------------------------

    @property
    def engine_type(self) -> str:  # type: ignore[override]
        return engine_in_use().engine_type

    @property
    def min_version_number(self) -> float:  # type: ignore[override]
        return engine_in_use().min_version_number

    @property
    def log_queries(self) -> bool:  # type: ignore[override]
        return engine_in_use().log_queries

    @property
    def log_responses(self) -> bool:  # type: ignore[override]
        return engine_in_use().log_responses

    @property
    def query_id(self) -> int:  # type: ignore[override]
        return engine_in_use().query_id

    @property
    def current_transaction(self) -> ContextVar[Any]:  # type: ignore[override]
        return engine_in_use().current_transaction

    # --- the methods of piccolo.engine.base.Engine ---------------------------------------------------

    async def get_version(self) -> float:
        return await engine_in_use().get_version()

    def get_version_sync(self) -> float:
        return engine_in_use().get_version_sync()

    async def prep_database(self) -> None:
        await engine_in_use().prep_database()

    async def batch(self, query: Any, batch_size: int = 100, node: str | None = None) -> BaseBatch:
        return await engine_in_use().batch(query, batch_size=batch_size, node=node)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        return await engine_in_use().run_querystring(querystring, in_pool=in_pool)

    def transform_response_to_dicts(self, results: Any) -> list[dict]:
        return engine_in_use().transform_response_to_dicts(results)

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        return await engine_in_use().run_ddl(ddl, in_pool=in_pool)

    def transaction(self, *args: Any, **kwargs: Any) -> Any:
        return engine_in_use().transaction(*args, **kwargs)

    def atomic(self) -> BaseAtomic:
        return engine_in_use().atomic()

    async def check_version(self) -> None:
        await engine_in_use().check_version()

    def _connection_pool_warning(self) -> None:
        engine_in_use()._connection_pool_warning()

    async def start_connection_pool(self, **kwargs: Any) -> None:
        await engine_in_use().start_connection_pool(**kwargs)

    async def close_connection_pool(self) -> None:
        await engine_in_use().close_connection_pool()

    def transaction_exists(self) -> bool:
        return engine_in_use().transaction_exists()

    def get_query_id(self) -> int:
        return engine_in_use().get_query_id()

    def print_query(self, query_id: int, query: str) -> None:
        engine_in_use().print_query(query_id, query)

    def print_response(self, query_id: int, response: list) -> None:
        engine_in_use().print_response(query_id, response)


SCOPED_ENGINE = ScopedEngine()
"""The ``db`` of every table of the service."""
