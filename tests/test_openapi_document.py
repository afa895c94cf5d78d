"""The OpenAPI document describes the problems each operation can answer, and fields as they are served."""

from __future__ import annotations

import json

import pytest
from litestar.testing import TestClient

from api.app import create_app
from tests.conftest import test_settings

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("openapi") / "unused.sqlite3"
    with TestClient(create_app(test_settings(f"sqlite:///{path}"))) as client:
        return client.get("/schema/openapi.json").json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_every_error_an_operation_documents_is_a_problem_document(document):
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == [PROBLEM], (method, path, status)
                assert response["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_operations_document_the_problems_they_can_answer(document):
    for method, path, operation in operations(document):
        statuses = {int(status) for status in operation["responses"]}
        if path in {"/health"} or path.startswith("/schema"):
            continue
        assert {400, 503} <= statuses, (method, path)
        if path.startswith("/api/v1/") and path != "/api/v1/auth/token":
            assert {401, 403} <= statuses, (method, path)
        if "{" in path:
            assert {404, 422} <= statuses, (method, path)
        if "requestBody" in operation:
            assert {413, 415, 422} <= statuses, (method, path)
        if method == "POST" and path != "/api/v1/auth/token":
            assert 409 in statuses, (method, path)
    token = document["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert {int(status) for status in token} == {200, 400, 401, 413, 415, 422, 429, 503}


def test_the_problem_schema_keeps_status_an_integer(document):
    problem = document["components"]["schemas"]["Problem"]
    assert problem["properties"]["status"]["type"] == "integer"
    assert set(problem["required"]) >= {"type", "title", "status"}


def test_fields_are_documented_as_they_are_served(document):
    schemas = document["components"]["schemas"]
    text = json.dumps(document)
    assert '"duration"' not in text
    times = (("VehicleOut", "shift_start"), ("EngineerIn", "shift_end"), ("Depot", "order_cutoff"))
    for model, field in times:
        schema = schemas[model]["properties"][field]
        assert schema["type"] == "string", (model, field)
        assert "pattern" in schema
    assert schemas["Part"]["properties"]["unit_cost"]["type"] == "string"
    batches = schemas["ReservationOut"]["properties"]["batches"]
    assert batches["items"] == {"$ref": "#/components/schemas/BatchQuantityOut"}
    assert "prefixItems" not in text


def test_an_optional_body_is_documented_as_optional(document):
    receive = document["paths"]["/api/v1/stock/transfers/{transfer_id}/receive"]["post"]
    assert receive["requestBody"]["required"] is False
    assert document["paths"]["/api/v1/stock/transfers"]["post"]["requestBody"]["required"] is True
