"""`api.idempotency.idempotent` as a handler sees it: what it adds to the handler's signature, a prepare
step that a replay skips, the handler's status kept for replays, and a failed handler that leaves
neither its change nor its key."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel

from api.errors import problem_details_plugin
from api.idempotency import Call, idempotent
from inventory.accounts import Principal, Role
from inventory.accounts.tables import IdempotencyRecord, User
from inventory.persistence import write_transaction
from tests.conftest import test_settings as settings_for


class Note(BaseModel):
    text: str


class Noted(BaseModel):
    text: str
    prepared: int | None = None
    by: str | None = None


PREPARED: list[str] = []


async def slow_step(data: Note) -> int:
    PREPARED.append(data.text)
    return len(PREPARED)


@post("/plain")
@idempotent
async def plain(data: JSONBody[Note]) -> Noted:
    return Noted(text=data.text)


@post("/prepared", status_code=HTTP_200_OK)
@idempotent(prepare=slow_step)
async def prepared_note(data: JSONBody[Note], principal: NamedDependency[Principal], prepared: int) -> Noted:
    return Noted(text=data.text, prepared=prepared, by=principal.username)


@post("/failing")
@idempotent(payload=lambda data: {"text": data.text.upper()})
async def failing(data: JSONBody[Note], now: NamedDependency[datetime]) -> Noted:
    await User.insert(User(username=data.text, password_hash="x", role="admin", active=True, created_at=now))
    if data.text.startswith("fail"):
        raise RuntimeError("after the change")
    return Noted(text=data.text)


def call_of_a_tester() -> Call:
    return Call(Principal(7, "tester", Role.ADMIN, None, None), datetime.now(UTC), settings_for("sqlite://"))


def small_app(*handlers: Any, **config: Any) -> Litestar:
    """An app of ``handlers`` with what `idempotent` needs: the call (a principal, a clock, settings)."""
    return Litestar(
        route_handlers=list(handlers),
        dependencies={"call": Provide(call_of_a_tester, sync_to_thread=False)},
        **config,
    )


@pytest.fixture
async def small(client):
    """A client of a small app of the handlers above, on the service's database (which the service's
    app, running for ``client``, has bound)."""
    PREPARED.clear()
    app = small_app(plain, prepared_note, failing, plugins=[problem_details_plugin()])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as small:
        yield small


def test_the_wrapped_handler_takes_the_key_and_what_idempotency_needs():
    document: dict[str, Any] = small_app(plain, prepared_note).openapi_schema.to_schema()
    for path in ("/plain", "/prepared"):
        operation = document["paths"][path]["post"]
        assert [(p["name"], p["in"], p["required"]) for p in operation["parameters"]] == [
            ("Idempotency-Key", "header", False)
        ]
        assert operation["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Note"
        }


def test_the_principal_clock_and_settings_come_from_one_dependency():
    """Litestar resolves two or more dependencies of a handler in a task group; one it awaits directly."""
    wrapped = inspect.signature(prepared_note.fn).parameters
    assert "call" in wrapped
    assert not {"principal", "now", "settings"} & set(wrapped)


def test_a_handler_takes_prepared_exactly_when_it_has_a_prepare_step():
    async def handler(data: Note, prepared: int) -> Noted: ...

    with pytest.raises(TypeError, match="exactly when it has a prepare step"):
        idempotent(handler)

    async def needs_more(data: Note, settings: object) -> int: ...

    with pytest.raises(TypeError, match="must take what its prepare step needs: settings"):
        idempotent(prepare=needs_more)(handler)


async def test_a_replay_skips_the_prepare_step_and_keeps_the_handlers_status(small):
    key = {"Idempotency-Key": "k-1"}
    first = await small.post("/prepared", json={"text": "a"}, headers=key)
    again = await small.post("/prepared", json={"text": "a"}, headers=key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == again.json() == {"text": "a", "prepared": 1, "by": "tester"}
    assert again.headers["idempotency-replayed"] == "true"
    assert "idempotency-replayed" not in first.headers
    other = await small.post("/prepared", json={"text": "b"}, headers=key)
    assert other.status_code == 422
    assert other.json()["type"].endswith("idempotency-key-reused")
    assert PREPARED == ["a"]  # neither the replay nor the refused body prepared anything
    unkeyed = [await small.post("/prepared", json={"text": "a"}) for _ in range(2)]
    assert [response.json()["prepared"] for response in unkeyed] == [2, 3]


async def test_keys_are_scoped_to_the_path_and_stored_with_the_answer(small):
    key = {"Idempotency-Key": "same"}
    plain_answer = await small.post("/plain", json={"text": "x"}, headers=key)
    assert plain_answer.status_code == 201
    assert (await small.post("/prepared", json={"text": "x"}, headers=key)).status_code == 200
    rows = await IdempotencyRecord.select(
        IdempotencyRecord.scope, IdempotencyRecord.status_code, IdempotencyRecord.response_body
    ).order_by(IdempotencyRecord.id)
    assert [(row["scope"], row["status_code"]) for row in rows] == [
        ("7|POST|/plain", 201),
        ("7|POST|/prepared", 200),
    ]
    assert rows[0]["response_body"] == '{"text": "x", "prepared": null, "by": null}'


async def test_a_failed_handler_leaves_neither_its_change_nor_its_key(small):
    key = {"Idempotency-Key": "f-1"}
    assert (await small.post("/failing", json={"text": "fail-1"}, headers=key)).status_code == 500
    assert not await User.exists().where(User.username == "fail-1")
    assert not await IdempotencyRecord.exists()
    done = await small.post("/failing", json={"text": "done"}, headers=key)
    again = await small.post("/failing", json={"text": "DONE"}, headers=key)  # the same by its payload
    assert (done.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotency-replayed"] == "true"
    assert await User.count().where(User.username == "done") == 1


async def test_the_key_the_change_and_the_answer_commit_together(small):
    """The handler runs in the transaction that claimed the key: it sees the claim, not yet answered."""
    seen = []

    @post("/look")
    @idempotent
    async def looking(data: JSONBody[Note]) -> Noted:
        async with write_transaction():  # joins the open one
            seen.append(await IdempotencyRecord.select(IdempotencyRecord.status_code).first())
        return Noted(text=data.text)

    app = Litestar(
        route_handlers=[looking],
        dependencies={"call": Provide(call_of_a_tester, sync_to_thread=False)},
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as other:
        response = await other.post("/look", json={"text": "x"}, headers={"Idempotency-Key": "t-1"})
    assert response.status_code == 201
    assert seen == [{"status_code": 0}]
