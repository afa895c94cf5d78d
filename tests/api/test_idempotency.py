"""Idempotency-Key on mutating POSTs: replay, refusal of a changed body, and parallel duplicates."""

from __future__ import annotations

import asyncio

from tests.api.conftest import level, receive, units


async def test_retry_with_same_key_replays_the_first_answer(client, world):
    lines = [{"part_number": world.disk, "units": units("D", 2)}]
    first = await receive(client, world, "PEK-C", lines, reference="DN-1", **{"Idempotency-Key": "rcpt-1"})
    again = await receive(client, world, "PEK-C", lines, reference="DN-1", **{"Idempotency-Key": "rcpt-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    assert "idempotency-replayed" not in first.headers
    assert (await level(client, world, world.disk, "PEK-C"))["on_hand"] == 2


async def test_same_key_with_another_body_is_422(client, world):
    await receive(
        client,
        world,
        "PEK-C",
        [{"part_number": world.disk, "units": units("D", 1)}],
        **{"Idempotency-Key": "k"},
    )
    other = await receive(
        client,
        world,
        "PEK-C",
        [{"part_number": world.disk, "units": units("E", 1)}],
        **{"Idempotency-Key": "k"},
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("idempotency-key-reused")
    assert (await level(client, world, world.disk, "PEK-C"))["on_hand"] == 1


async def test_a_failed_request_keeps_no_key_and_may_be_retried(client, world):
    body = {"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "SHA-C", "quantity": 1}
    key = {**world.headers["warehouse"], "Idempotency-Key": "t-1"}
    assert (await client.post("/api/v1/stock/transfers", json=body, headers=key)).status_code == 409
    await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("D", 1)}])
    assert (await client.post("/api/v1/stock/transfers", json=body, headers=key)).status_code == 201


async def test_keys_are_scoped_to_the_caller(client, world):
    lines = [{"part_number": world.cable, "quantity": 5, "batch_number": "L"}]
    mine = await receive(client, world, "PEK-C", lines, reference="DN-1", **{"Idempotency-Key": "shared"})
    assert mine.status_code == 201
    theirs = await client.post(
        "/api/v1/stock/receipts",
        json={"depot": "PEK-C", "supplier": "OEM", "reference": "DN-2", "lines": lines},
        headers={**world.headers["admin"], "Idempotency-Key": "shared"},
    )
    assert theirs.status_code == 201
    assert "idempotency-replayed" not in theirs.headers
    assert (await level(client, world, world.cable, "PEK-C"))["available"] == 10


async def test_parallel_duplicates_have_one_effect(client, world):
    await receive(client, world, "PEK-C", [{"part_number": world.disk, "units": units("D", 10)}])
    body = {"part_number": world.disk, "from_depot": "PEK-C", "to_depot": "SHA-C", "quantity": 1}
    headers = {**world.headers["warehouse"], "Idempotency-Key": "parallel-1"}
    responses = await asyncio.gather(
        *[client.post("/api/v1/stock/transfers", json=body, headers=headers) for _ in range(12)]
    )
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert (await level(client, world, world.disk, "PEK-C"))["available"] == 9


async def test_overlong_key_is_refused(client, world):
    lines = [{"part_number": world.cable, "quantity": 1, "batch_number": "L"}]
    response = await receive(client, world, "PEK-C", lines, **{"Idempotency-Key": "k" * 256})
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["Idempotency-Key"]  # as sent
    assert await level(client, world, world.cable, "PEK-C") == {}
