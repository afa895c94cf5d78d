"""Health, readiness, request ids and structured logs."""

from __future__ import annotations

import json
import logging
import os
import socket
from importlib.metadata import version

from api.app import create_app
from tests.conftest import test_settings


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
    import httpx

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

    app = create_app(test_settings(database_url, max_body_bytes=2048))
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        response = await client.post(
            "/api/v1/auth/token",
            content=b"{" + b" " * 4096 + b"}",
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
