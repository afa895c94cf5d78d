"""Every answer carries ``X-Request-ID`` and every log line of the request has it bound, whichever part of
the service answers: a handler, an exception handler, the authentication middleware or the router."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

import httpx
import pytest
import structlog
from litestar import Litestar

import api.security
from api.app import create_app
from api.domain_context import domain_context
from inventory.accounts import Role, create_user
from tests.api.conftest import PASSWORD, login
from tests.conftest import test_settings

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def json_logs(database_url, capsys):
    """A function making an app that logs JSON lines at INFO, and one returning the lines logged since
    last asked. The app must be made in the test itself, where ``capsys`` captures its log handler."""

    def make_app():
        return create_app(
            test_settings(
                database_url,
                log_format="json",
                log_level="INFO",
                max_body_bytes=70_000,
                document_max_bytes=2_048,
            )
        )

    def lines() -> list[dict]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]

    yield make_app, lines
    logging.getLogger().handlers.clear()


async def test_every_kind_of_answer_carries_the_request_id(json_logs, monkeypatch):
    make_app, _ = json_logs
    app = make_app()

    async def broken(**_: object) -> None:
        raise RuntimeError("a fault of the service")

    monkeypatch.setattr("api.controllers.catalogue.stock.list_parts", broken)
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        token = await _admin_token(app, client)
        answers = {
            "handler": await client.get("/health"),
            "router, unknown route": await client.get("/no/such/route"),
            "router, method": await client.delete("/health"),
            "authentication": await client.get("/api/v1/depots"),
            "control characters": await client.get("/api/v1/depots?x=%01", headers=token),
            "validation": await client.get("/api/v1/depots?limit=0", headers=token),
            "domain error": await client.get("/api/v1/depots/NOPE", headers=token),
            "body too large": await client.post(
                "/api/v1/depots",
                content=b"{" + b" " * 80_000 + b"}",
                headers={**token, "content-type": "application/json"},
            ),
            "unexpected error": await client.get("/api/v1/parts", headers=token),
        }
        echoed = await client.get("/api/v1/depots", headers={"X-Request-ID": "trace-401"})
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {
        "handler": 200,
        "router, unknown route": 404,
        "router, method": 405,
        "authentication": 401,
        "control characters": 400,
        "validation": 422,
        "domain error": 404,
        "body too large": 413,
        "unexpected error": 500,
    }
    for name, response in answers.items():
        assert REQUEST_ID.match(response.headers.get("x-request-id", "")), name
        assert response.headers.get_list("x-request-id") == [response.headers["x-request-id"]], name
    assert len({response.headers["x-request-id"] for response in answers.values()}) == len(answers)
    assert echoed.status_code == 401
    assert echoed.headers["x-request-id"] == "trace-401"


async def test_log_lines_of_every_answer_carry_its_request_id(json_logs, monkeypatch):
    make_app, logged = json_logs
    app = make_app()
    bound_while_authenticating = []
    load_principal = api.security.load_principal

    async def spy(username: str):
        bound_while_authenticating.append(structlog.contextvars.get_contextvars().get("request_id"))
        return await load_principal(username)

    async def broken(**_: object) -> None:
        structlog.get_logger("test").warning("about_to_fail")
        raise RuntimeError("a fault of the service")

    monkeypatch.setattr(api.security, "load_principal", spy)
    monkeypatch.setattr("api.controllers.catalogue.stock.list_parts", broken)
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        token = await _admin_token(app, client)
        logged()
        for request_id, path, headers in (
            ("id-500", "/api/v1/parts", token),
            ("id-401", "/api/v1/depots", {}),
            ("id-404", "/no/such/route", {}),
        ):
            await client.get(path, headers={**headers, "X-Request-ID": request_id})
    lines = logged()
    assert bound_while_authenticating == ["id-500"]
    by_event = {(line["event"], line.get("status")): line for line in lines}
    assert by_event[("about_to_fail", None)]["request_id"] == "id-500"
    assert by_event[("unhandled_error", None)]["request_id"] == "id-500"
    for status in (500, 401, 404):
        access = by_event[("request", status)]
        assert access["request_id"] == f"id-{status}", access
        assert access["duration_ms"] >= 0
    assert [line["path"] for line in lines if line["event"] == "request"] == [
        "/api/v1/parts",
        "/api/v1/depots",
        "/no/such/route",
    ]


async def _admin_token(app: Litestar, client: httpx.AsyncClient) -> dict[str, str]:
    passwords = test_settings("sqlite:///unused").passwords()
    with domain_context(app).entered():
        await create_user(
            username="admin",
            password=PASSWORD,
            role=Role.ADMIN,
            customer=None,
            passwords=passwords,
            now=datetime.now(UTC),
        )
    return await login(client, "admin")
