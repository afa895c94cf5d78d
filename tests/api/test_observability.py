"""Health, readiness, request ids and structured logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import sqlite3
from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.database import code_migrations
from inventory.persistence import sqlite_path
from tests.conftest import migrate, test_settings


async def test_health_names_the_engine(client, database_url):
    response = await client.get("/health")
    assert response.status_code == 200
    expected = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert response.json() == {"status": "ok", "database": expected}


async def test_readiness_touches_the_database(client):
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def test_readiness_fails_when_the_database_is_gone(tmp_path):
    broken = tmp_path / "not-a-dir" / "x.sqlite3"
    app = create_app(test_settings(f"sqlite:///{broken}"))
    assert not broken.parent.exists()  # the service never creates its database
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "urn:spareline:problem:not-ready"


async def test_every_response_has_a_request_id(client):
    for path in ("/health", "/api/v1/depots", "/no/such/route"):
        response = await client.get(path)
        assert len(response.headers["x-request-id"]) == 32
    echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    unsafe = await client.get("/health", headers={"X-Request-ID": "x" * 500})
    assert unsafe.headers["x-request-id"] != "x" * 500


async def test_json_log_lines_carry_the_request_id(database_url, capsys):
    import httpx

    app = create_app(test_settings(database_url, log_format="json", log_level="INFO"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/health", headers={"X-Request-ID": "trace-me"})
    assert response.status_code == 200
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "request"]
    assert access, lines
    assert access[-1]["request_id"] == "trace-me"
    assert access[-1]["status"] == 200
    assert access[-1]["path"] == "/health"
    logging.getLogger().handlers.clear()


async def test_log_lines_name_the_process_host_and_version(database_url, capsys):
    import httpx

    app = create_app(test_settings(database_url, log_format="json", log_level="INFO"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/health")).status_code == 200
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    logging.getLogger().handlers.clear()
    assert lines
    for line in lines:  # the service's own lines and those of the libraries it logs for (httpx here)
        assert line["pid"] == os.getpid(), line
        assert line["host"] == socket.gethostname(), line
        assert line["version"] == version("spareline"), line
        assert "trace_id" not in line  # no tracing without OTEL_EXPORTER_OTLP_ENDPOINT
    assert {line["logger"] for line in lines} >= {"api.access", "httpx"}


async def test_unknown_route_is_a_problem_response(client):
    response = await client.get("/api/v1/nothing-here", headers={})
    assert response.status_code == 404  # no such route, with or without a token: nothing to authenticate for
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_openapi_document_is_served(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert "/api/v1/stock/receipts" in document["paths"]
    parameters = document["paths"]["/api/v1/stock/receipts"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in parameters)
    assert (await client.get("/schema")).status_code == 200


async def test_oversized_body_is_413(database_url):
    import httpx

    app = create_app(test_settings(database_url, max_body_bytes=70_000, document_max_bytes=2_048))
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        response = await client.post(
            "/api/v1/auth/token",
            content=b"{" + b" " * 80_000 + b"}",
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413


@contextlib.asynccontextmanager
async def forgotten(database_url: str, migration: tuple[str, str]) -> AsyncIterator[None]:
    """The database without the record of ``migration`` (as if its release had not applied it yet) for
    the block; the record is back afterwards."""
    app_name, name = migration
    path = sqlite_path(database_url)
    if path is not None:
        with contextlib.closing(sqlite3.connect(path)) as connection, connection:
            ran_on = connection.execute("SELECT ran_on FROM migration WHERE name = ?", (name,)).fetchone()[0]
            connection.execute("DELETE FROM migration WHERE name = ?", (name,))
        try:
            yield
        finally:
            with contextlib.closing(sqlite3.connect(path)) as connection, connection:
                connection.execute(
                    "INSERT INTO migration (name, app_name, ran_on) VALUES (?, ?, ?)",
                    (name, app_name, ran_on),
                )
        return
    connection = await asyncpg.connect(database_url)
    try:
        ran_on = await connection.fetchval("DELETE FROM migration WHERE name = $1 RETURNING ran_on", name)
        try:
            yield
        finally:
            await connection.execute(
                "INSERT INTO migration (name, app_name, ran_on) VALUES ($1, $2, $3)", name, app_name, ran_on
            )
    finally:
        await connection.close()


def assert_not_ready(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert problem["type"] == "urn:spareline:problem:not-ready"
    assert problem["status"] == 503
    return problem


@pytest.mark.own_app  # it remembers that the migrations were current
async def test_readiness_is_503_while_a_migration_is_pending_and_then_stays_ready(client, database_url):
    newest = max(code_migrations(), key=lambda migration: migration[1])
    async with forgotten(database_url, newest):
        problem = assert_not_ready(await client.get("/health/ready"))
        assert problem["pending_migrations"] == [f"{newest[0]}:{newest[1]}"]
        assert "migrat" in problem["detail"]
    assert (await client.get("/health/ready")).status_code == 200
    # Once every migration was found applied, readiness asks no more: migrations never go backwards.
    async with forgotten(database_url, newest):
        assert (await client.get("/health/ready")).status_code == 200


async def test_a_database_never_migrated_is_not_ready_until_its_release(empty_database_url):
    path = sqlite_path(empty_database_url)
    if path is not None:  # the file exists, empty: the service never creates it
        path.parent.mkdir()
        sqlite3.connect(path).close()
    app = create_app(test_settings(empty_database_url))
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        problem = assert_not_ready(await client.get("/health/ready"))
        assert len(problem["pending_migrations"]) == len(code_migrations())
        await asyncio.to_thread(migrate, empty_database_url)
        ready = await client.get("/health/ready")
    assert ready.status_code == 200, ready.text
