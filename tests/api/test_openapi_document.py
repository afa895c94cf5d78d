"""The OpenAPI document reads as documentation: every operation says what it does, who may call it (as its
guards decide) and whether it is safe to retry; operations are grouped by resource; the main operations
show request and response examples that are valid for their schemas."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import jsonschema_rs
import pytest
from litestar import Litestar, get
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from pydantic import BaseModel

from api.app import API_PREFIX, create_app
from api.openapi import RETRY_NOTE, TAGS, admitted_roles, is_open, model_examples, who_may_call
from api.schemas import accounts, audit, routing, secure_media, service, stock
from api.security import allow
from inventory.accounts import Principal, Role
from tests.conftest import test_settings

MAIN_OPERATIONS = (
    "issueToken",
    "openTicket",
    "reserveParts",
    "receiveStock",
    "dispatchTransfer",
    "receiveTransfer",
    "planNextBusinessDay",
    "planUrgentDelivery",
    "recordRetentionEvent",
)
"""Operations whose request body and success answer both carry examples."""

MAIN_ANSWERS = ("getSolve", "verifyAuditChain")
"""Operations without a body whose success answer carries examples."""

SCHEMA_MODULES = (accounts, audit, routing, secure_media, service, stock)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Litestar, dict[str, Any]]:
    """The application and the document it serves."""
    path = tmp_path_factory.mktemp("openapi-docs") / "unused.sqlite3"
    app = create_app(test_settings(f"sqlite:///{path}"))
    with TestClient(app) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    return app, response.json()


@pytest.fixture(scope="module")
def document(served: tuple[Litestar, dict[str, Any]]) -> dict[str, Any]:
    return served[1]


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def handlers(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    """Every documented handler with its method and its path as the document writes it."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, _) in route.route_handler_map.items():
                if handler.resolve_include_in_schema() and method != "OPTIONS":
                    yield method, route.path_format, handler


def roles_let_through(handler: HTTPRouteHandler) -> set[Role]:
    """The roles whose users the handler's guards let through, found by calling the guards."""

    async def passes(role: Role) -> bool:
        user = Principal(id=1, username=f"a-{role.value}", role=role, customer_id=None, customer_code=None)
        connection = SimpleNamespace(scope={"user": user})
        try:
            for guard in handler.resolve_guards():
                outcome = guard(connection, handler)  # type: ignore[arg-type]
                if inspect.isawaitable(outcome):
                    await outcome
        except (NotAuthorizedException, PermissionDeniedException):
            return False
        return True

    return {role for role in Role if asyncio.run(passes(role))}


def test_every_operation_has_a_summary_a_description_and_a_declared_tag(served, document):
    app, _ = served
    declared = [tag["name"] for tag in document["tags"]]
    defaults = {handler.handler_name.title().replace("_", "") for _, _, handler in handlers(app)}
    summaries = []
    for method, path, operation in operations(document):
        summary = operation.get("summary", "")
        assert summary, (method, path)
        assert summary not in defaults, (method, path, "Litestar's default summary")
        assert len(summary) <= 60, (method, path, summary)
        assert not summary.endswith("."), (method, path, summary)
        summaries.append(summary)
        description = operation.get("description", "")
        own = description.split("\n\n**Roles:**")[0].split("\n\n**Who may call it:**")[0]
        assert len(own) >= 40, (method, path, "no description of its own")
        assert operation.get("tags"), (method, path)
        assert set(operation["tags"]) <= set(declared), (method, path, operation["tags"])
    assert len(summaries) == len(set(summaries)), "summaries tell operations apart"


def test_tags_are_declared_once_in_order_with_descriptions_and_all_used(document):
    assert [tag["name"] for tag in document["tags"]] == [tag.name for tag in TAGS]
    assert all(tag.get("description") for tag in document["tags"])
    used = {tag for _, _, operation in operations(document) for tag in operation["tags"]}
    assert used == {tag.name for tag in TAGS}


def test_the_description_names_the_roles_the_guards_let_through(served, document):
    app, _ = served
    checked = 0
    for method, path, handler in handlers(app):
        description = document["paths"][path][method.lower()]["description"]
        if is_open(path):
            assert "**Who may call it:** anyone; no token is needed." in description, (method, path)
            assert "**Roles:**" not in description
            continue
        assert path.startswith(API_PREFIX), (method, path)
        admitted = roles_let_through(handler)
        assert admitted, (method, path, "a route nobody may call")
        names = ", ".join(role.value for role in Role if role in admitted)
        assert f"**Roles:** {names}. Any other role is refused (403)." in description, (method, path)
        customers_note = "another company's are not found (404)" in description
        assert customers_note == (Role.CUSTOMER in admitted), (method, path)
        checked += 1
    assert checked >= 50


def test_every_guard_of_a_route_narrows_the_roles_it_names():
    async def handle() -> None: ...

    handler = get("/x", guards=[allow(Role.ADMIN, Role.DISPATCHER, Role.CUSTOMER), allow(Role.ADMIN)])(handle)
    assert admitted_roles(handler) == {Role.ADMIN}
    assert who_may_call(handler, path="/api/v1/x") == "**Roles:** admin. Any other role is refused (403)."
    assert (
        who_may_call(handler, path="/api/v1/auth/token") == "**Who may call it:** anyone; no token is needed."
    )


def test_operations_that_take_an_idempotency_key_say_they_are_safe_to_retry(document):
    retried = 0
    for method, path, operation in operations(document):
        takes_key = any(
            parameter["in"] == "header" and parameter["name"] == "Idempotency-Key"
            for parameter in operation.get("parameters", [])
        )
        assert (RETRY_NOTE in operation["description"]) == takes_key, (method, path)
        retried += takes_key
    assert retried >= 20


def test_the_document_says_how_to_use_the_api(document):
    description = document["info"]["description"]
    for words in (
        "POST /api/v1/auth/token",
        "Authorization: Bearer",
        "RFC 9457",
        "application/problem+json",
        "Idempotency-Key",
        "`limit`",
        "`next_offset`",
        "ISO 8601 with an offset",
    ):
        assert words in description, words


def schemas_with_examples(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema in the document that carries examples, with where it is."""
    if isinstance(node, dict):
        if isinstance(node.get("examples"), list) and ("type" in node or "oneOf" in node or "$ref" in node):
            yield where, node
        for key, value in node.items():
            yield from schemas_with_examples(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from schemas_with_examples(value, f"{where}/{index}")


def test_every_example_in_the_document_is_valid_for_its_schema(document):
    found = 0
    for where, schema in schemas_with_examples(document):
        validator = jsonschema_rs.Draft202012Validator(
            {**schema, "components": document["components"]}, validate_formats=True
        )
        for example in schema["examples"]:
            errors = [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(example)]
            assert not errors, (where, errors)
            found += 1
    assert found >= 25


def example_models() -> Iterator[type[BaseModel]]:
    """The models of `api.schemas` that declare examples."""
    for module in SCHEMA_MODULES:
        for model in vars(module).values():
            if (
                inspect.isclass(model)
                and issubclass(model, BaseModel)
                and model.__module__ == module.__name__
                and model_examples(model)
            ):
                yield model


def test_every_example_is_what_the_service_accepts_or_answers():
    """Each model's examples pass its own validation as JSON on the wire (strict, like the service)."""
    models = list(example_models())
    assert len(models) >= 15
    for model in models:
        for example in model_examples(model) or []:
            model.model_validate_json(json.dumps(example), strict=True)


def test_models_show_their_examples_in_the_document(document):
    schemas = document["components"]["schemas"]
    for model in example_models():
        if model.__name__ in schemas:
            assert schemas[model.__name__]["examples"] == model_examples(model), model.__name__


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a reference names; of an optional body, the body's."""
    if "oneOf" in schema and not schema.get("examples"):
        (schema,) = [member for member in schema["oneOf"] if member != {"type": "null"}]
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def by_operation_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {operation["operationId"]: operation for _, _, operation in operations(document)}


def success_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    status = min(status for status in operation["responses"] if status.startswith("2"))
    return resolved(document, operation["responses"][status]["content"]["application/json"]["schema"])


def test_the_main_operations_show_request_and_response_examples(document):
    by_id = by_operation_id(document)
    for operation_id in MAIN_OPERATIONS:
        operation = by_id[operation_id]
        body = resolved(document, operation["requestBody"]["content"]["application/json"]["schema"])
        assert body.get("examples"), (operation_id, "request")
        assert success_schema(document, operation).get("examples"), (operation_id, "response")
    for operation_id in MAIN_ANSWERS:
        assert success_schema(document, by_id[operation_id]).get("examples"), operation_id


def test_a_retention_event_is_documented_as_one_of_the_event_kinds(document):
    operation = by_operation_id(document)["recordRetentionEvent"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    kinds = {resolved(document, member)["properties"]["type"]["const"] for member in body["oneOf"]}
    assert kinds == {"custody", "destruction", "verification", "close"}
    assert "root" not in json.dumps(body)
    assert {example["type"] for example in body["examples"]} == kinds
    described = operation["description"]
    assert "**Who records which event (customer custody):** custody: warehouse, dispatcher;" in described
    assert (
        "**Who records which event (depot custody):** custody: warehouse, dispatcher; destruction: warehouse;"
        in (described)
    )


def test_another_application_adds_each_note_once(served, tmp_path):
    """Handlers are shared by the applications built in a process; their notes are not added twice."""
    again = create_app(test_settings(f"sqlite:///{tmp_path / 'unused.sqlite3'}")).openapi_schema.to_schema()
    for method, path, operation in operations(again):
        description = operation["description"]
        assert description.count("**Roles:**") + description.count("**Who may call it:**") == 1, (
            method,
            path,
        )
        assert description.count(RETRY_NOTE) <= 1, (method, path)
        assert description == served[1]["paths"][path][method.lower()]["description"], (method, path)
