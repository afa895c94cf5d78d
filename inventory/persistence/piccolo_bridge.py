"""Piccolo queries inside the service's own write transactions: the one place that relies on a part of
Piccolo its documentation does not describe.

The service opens its write transactions itself, with the drivers' documented API (`sqlite_writer`,
`postgres_engine`), so that it decides how they begin, commit, share a flush and give their connection
back. A Piccolo query (``Table.select()``, ``insert()``, ``update()``, ``raw()``) run inside one must run
on that transaction's connection. Piccolo documents no hook for this. What it does: every query of a
table goes to its engine's ``run_querystring(querystring, in_pool)``, every DDL statement to its
``run_ddl(ddl, in_pool)`` (the abstract methods of ``piccolo.engine.base.Engine`` that each of its engines
implements), and ``QueryString.compile_string(engine_type)`` gives the statement in the driver's
placeholders with its arguments. The rows handed back are processed as the base engine's are: dicts on
SQLite (``sqlite3`` with Piccolo's ``dict_factory`` and its converters), asyncpg records on PostgreSQL.
Queries are reported as Piccolo reports its own when its documented ``log_queries`` and ``log_responses``
options are on (``get_query_id``, ``print_query``, ``print_response`` of the engine).

`RunsQueriesInOpenTransaction` overrides those two methods for the service's engines; nothing else
touches how Piccolo runs a query. ``tests/test_piccolo_bridge.py`` fails, naming the installed Piccolo
version, if a new version stops sending queries this way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from piccolo.querystring import QueryString


class OpenTransaction(Protocol):
    """A write transaction of the service, open in the current context."""

    async def fetch(self, sql: str, args: Sequence[object]) -> Sequence[Any]:
        """Run one statement (in the driver's placeholders) on the transaction's connection; its rows."""
        ...


Fetch = Callable[[str, Sequence[object]], Awaitable[Sequence[Any]]]
"""Runs one statement (in the driver's placeholders) with its arguments; its rows."""


class RunsQueriesInOpenTransaction:
    """Mixin for a Piccolo engine: queries run in the service's open write transaction, if any."""

    engine_type: str
    log_queries: bool
    log_responses: bool

    def open_transaction(self) -> OpenTransaction | None:
        """The service's write transaction open in this context, if any."""
        raise NotImplementedError

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        transaction = self.open_transaction()
        if transaction is None:
            return await self.run_outside_transaction(querystring, in_pool)
        return await self.run_with(transaction.fetch, querystring)

    async def run_with(self, fetch: Fetch, querystring: QueryString) -> Any:
        """A query run by ``fetch``, reported as Piccolo reports its own."""
        query_id = self.get_query_id()  # type: ignore[attr-defined]
        if self.log_queries:
            self.print_query(query_id=query_id, query=str(querystring))  # type: ignore[attr-defined]
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        response = await fetch(sql, args)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)  # type: ignore[attr-defined]
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        transaction = self.open_transaction()
        if transaction is None:
            return await super().run_ddl(ddl, in_pool)  # type: ignore[misc]
        return await transaction.fetch(ddl, ())

    async def run_outside_transaction(self, querystring: QueryString, in_pool: bool) -> Any:
        """A query outside the service's write transactions: as the Piccolo engine runs it."""
        return await super().run_querystring(querystring, in_pool)  # type: ignore[misc]
