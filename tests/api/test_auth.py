"""Authentication and roles: deny by default, 401 without a valid token, 403 for a wrong role."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from api.security import OPEN_PATHS
from tests.api.conftest import PASSWORD, login

ROLES = ("admin", "warehouse", "dispatcher", "compliance", "customer")

# (method, path, roles that may call it) for every /api/v1 route of this release.
MATRIX = [
    ("GET", "/api/v1/depots", {"admin", "warehouse", "dispatcher", "compliance"}),
    ("POST", "/api/v1/depots", {"admin", "warehouse"}),
    ("GET", "/api/v1/parts", {"admin", "warehouse", "dispatcher", "compliance"}),
    ("POST", "/api/v1/parts", {"admin", "warehouse"}),
    ("GET", "/api/v1/stock", {"admin", "warehouse", "dispatcher", "compliance"}),
    ("POST", "/api/v1/stock/receipts", {"admin", "warehouse"}),
    ("POST", "/api/v1/stock/transfers", {"admin", "warehouse"}),
    ("POST", "/api/v1/stock/status-changes", {"admin", "warehouse"}),
    ("POST", "/api/v1/stock/adjustments", {"admin", "warehouse"}),
    ("GET", "/api/v1/users", {"admin"}),
    ("POST", "/api/v1/users", {"admin"}),
]


def test_every_api_route_is_guarded_by_roles(app):
    """A new route without an explicit role guard fails here: deny by default."""
    open_patterns = [re.compile(pattern) for pattern in OPEN_PATHS]
    unguarded = []
    for route in app.routes:
        if any(pattern.match(route.path) for pattern in open_patterns):
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.http_methods == {"OPTIONS"}:
                continue  # Litestar's own answer to a preflight request, which shows nothing
            guards = [guard for layer in handler.ownership_layers for guard in (layer.guards or [])]
            if not any(hasattr(guard, "roles") for guard in guards):
                unguarded.append((route.path, handler.http_methods))
    assert unguarded == []


def test_only_health_schema_and_token_are_open(app):
    open_patterns = [re.compile(pattern) for pattern in OPEN_PATHS]
    open_routes = {route.path for route in app.routes if any(p.match(route.path) for p in open_patterns)}
    assert {path for path in open_routes if path.startswith("/api")} == {"/api/v1/auth/token"}


@pytest.mark.parametrize(("method", "path", "allowed"), MATRIX)
async def test_role_matrix(client, headers, method, path, allowed):
    for role in ROLES:
        response = await client.request(
            method, path, headers=headers[role], json={} if method == "POST" else None
        )
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert response.headers["content-type"].startswith("application/problem+json")


async def test_routes_need_a_token(client, app):
    for route in app.routes:
        if not route.path.startswith("/api/v1") or route.path == "/api/v1/auth/token":
            continue
        path = re.sub(r"\{[^}]+:int\}", "1", re.sub(r"\{[^}]+:str\}", "X", route.path))
        for method in route.methods - {"OPTIONS", "HEAD"}:
            response = await client.request(method, path)
            assert response.status_code == 401, (method, path)


async def test_token_endpoint(client, headers):
    good = await client.post("/api/v1/auth/token", json={"username": "warehouse", "password": PASSWORD})
    assert good.status_code == 200
    body = good.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    for username, password in (("warehouse", "wrong"), ("nobody", PASSWORD)):
        response = await client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert response.status_code == 401
        assert response.json()["detail"] == "wrong username or password"
    assert (await client.post("/api/v1/auth/token", json={"username": "warehouse"})).status_code == 422


async def test_invalid_expired_and_foreign_tokens_are_401(client, headers, settings):
    def forged(secret: str, **claims) -> dict[str, str]:
        now = datetime.now(UTC)
        payload = {"sub": "admin", "iat": now, "exp": now + timedelta(hours=1), "iss": "spareline", **claims}
        return {"Authorization": f"Bearer {jwt.encode(payload, secret, algorithm='HS256')}"}

    secret = settings.secret_key.get_secret_value()
    assert (await client.get("/api/v1/depots", headers=forged(secret))).status_code == 200
    for bad in (
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic YWRtaW46ZGVtbw=="},
        forged("another-secret-of-sufficient-length-1234567890"),
        forged(secret, exp=datetime.now(UTC) - timedelta(minutes=5)),
        forged(secret, iss="someone-else"),
        forged(secret, sub="ghost"),
    ):
        assert (await client.get("/api/v1/depots", headers=bad)).status_code == 401, bad


async def test_admin_creates_users_and_customer_users_need_a_company(client, headers):
    admin = headers["admin"]
    body = {"username": "li.wei", "password": "a-long-password", "role": "warehouse"}
    created = await client.post("/api/v1/users", json=body, headers=admin)
    assert created.status_code == 201
    assert created.json() == {"username": "li.wei", "role": "warehouse", "customer": None, "active": True}
    assert "password" not in created.text
    assert (await client.post("/api/v1/users", json=body, headers=admin)).status_code == 409
    assert (await login(client, "li.wei", "a-long-password"))["Authorization"].startswith("Bearer ")

    no_company = {"username": "acme.ops", "password": "a-long-password", "role": "customer"}
    assert (await client.post("/api/v1/users", json=no_company, headers=admin)).status_code == 422
    unknown = {**no_company, "customer": "NOPE"}
    assert (await client.post("/api/v1/users", json=unknown, headers=admin)).status_code == 422
    good = await client.post("/api/v1/users", json={**no_company, "customer": "ACME"}, headers=admin)
    assert good.status_code == 201
    assert good.json()["customer"] == "ACME"
    staff_with_company = {**body, "username": "x.y", "customer": "ACME"}
    assert (await client.post("/api/v1/users", json=staff_with_company, headers=admin)).status_code == 422
    short = {**body, "username": "short.pw", "password": "short"}
    assert (await client.post("/api/v1/users", json=short, headers=admin)).status_code == 422
    listed = await client.get("/api/v1/users", headers=admin)
    assert {"li.wei", "acme.ops", "admin"} <= {user["username"] for user in listed.json()["items"]}


async def test_passwords_are_stored_as_argon2id_hashes(client, headers):
    from inventory.accounts.tables import User

    row = await User.select(User.password_hash).where(User.username == "admin").first()
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


async def test_a_deactivated_user_loses_access_within_the_cache_time(client, headers, monkeypatch):
    import api.security
    from api.security import PrincipalCache
    from inventory.accounts.tables import User

    clock = [1000.0]
    monkeypatch.setattr(api.security.time, "monotonic", lambda: clock[0])
    cache = PrincipalCache(ttl_seconds=5)
    assert (await cache.get("warehouse")).username == "warehouse"
    await User.update({User.active: False}).where(User.username == "warehouse")
    assert (await cache.get("warehouse")).username == "warehouse"
    clock[0] += 6
    assert await cache.get("warehouse") is None
    assert await PrincipalCache(ttl_seconds=0).get("warehouse") is None


async def test_the_principal_cache_holds_a_bounded_number_of_users(client, headers, monkeypatch):
    import api.security
    from api.security import PrincipalCache

    monkeypatch.setattr(api.security, "MAX_CACHED_PRINCIPALS", 3)
    cache = PrincipalCache(ttl_seconds=60)
    sizes = []
    for username in ("admin", "warehouse", "dispatcher", "compliance", "customer"):
        assert (await cache.get(username)).username == username
        sizes.append(len(cache._entries))
    assert sizes == [1, 2, 3, 1, 2]


async def test_requests_of_a_user_not_in_the_cache_share_one_lookup(client, headers, monkeypatch):
    import api.security
    from api.security import PrincipalCache

    real_load, looked_up = api.security.load_principal, []

    async def counted(username):
        looked_up.append(username)
        await asyncio.sleep(0.01)
        return await real_load(username)

    monkeypatch.setattr(api.security, "load_principal", counted)
    cache = PrincipalCache(ttl_seconds=5)
    found = await asyncio.gather(*(cache.get("warehouse") for _ in range(10)), cache.get("admin"))
    assert [principal.username for principal in found] == ["warehouse"] * 10 + ["admin"]
    assert sorted(looked_up) == ["admin", "warehouse"]


async def test_a_failed_lookup_fails_every_request_waiting_for_it_and_the_next_one_tries_again(
    client, headers, monkeypatch
):
    import api.security
    from api.security import PrincipalCache

    real_load, looked_up = api.security.load_principal, []

    async def failing_once(username):
        looked_up.append(username)
        await asyncio.sleep(0.01)
        if len(looked_up) == 1:
            raise ConnectionError("the database went away")
        return await real_load(username)

    monkeypatch.setattr(api.security, "load_principal", failing_once)
    cache = PrincipalCache(ttl_seconds=5)
    answers = await asyncio.gather(*(cache.get("warehouse") for _ in range(3)), return_exceptions=True)
    assert all(isinstance(answer, ConnectionError) for answer in answers)
    assert (await cache.get("warehouse")).username == "warehouse"
    assert looked_up == ["warehouse", "warehouse"]


def test_a_checked_token_is_remembered_until_it_expires_and_only_for_its_settings(monkeypatch):
    from litestar.exceptions import NotAuthorizedException
    from litestar.security.jwt import Token

    import api.security
    from api.security import checked_token_class

    CheckedToken = checked_token_class()
    secret, other = "a-secret-of-sufficient-length-0123456789", "another-secret-of-sufficient-length-0123"
    now = datetime.now(UTC)
    claims = {"sub": "admin", "iat": now, "exp": now + timedelta(hours=1), "extras": {"role": "admin"}}
    encoded = jwt.encode(claims, secret, algorithm="HS256")
    checks = []
    real_decode_payload = Token.decode_payload.__func__

    def counted(cls, *args, **kwargs):
        checks.append(1)
        return real_decode_payload(cls, *args, **kwargs)

    monkeypatch.setattr(Token, "decode_payload", classmethod(counted))
    first = CheckedToken.decode(encoded, secret, "HS256")
    again = CheckedToken.decode(encoded, secret, "HS256")
    assert again == first
    assert again.extras == {"role": "admin"}
    assert again.extras is not first.extras  # each request gets a token of its own
    assert len(checks) == 1
    with pytest.raises(NotAuthorizedException):  # checked again against another key: the signature fails
        CheckedToken.decode(encoded, other, "HS256")
    with pytest.raises(NotAuthorizedException):  # and against another issuer
        CheckedToken.decode(encoded, secret, "HS256", issuer=["spareline"])
    assert len(checks) == 3

    later = time.time() + 2 * 3600  # the remembered token has expired by then: it is checked again
    monkeypatch.setattr(api.security.time, "time", lambda: later)
    CheckedToken.decode(encoded, secret, "HS256")
    assert len(checks) == 4
    checked_token_class().decode(encoded, secret, "HS256")  # another application's memory is its own
    assert len(checks) == 5
