"""The login throttle is shared by every application serving one database: two applications built side by
side on the same database (as two uvicorn workers, or two machines behind a load balancer, are) count
attempts per client address and per username together, on both engines. The client address is the one
uvicorn names, as the Procfile starts it: a forwarded address counts only from a trusted proxy."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from litestar import Litestar
from uvicorn.main import main as uvicorn_command

from api.app import create_app
from api.domain_context import domain_context
from api.settings import Settings
from inventory.accounts import LoginAttempt, Passwords, Role, create_user, purge_login_attempts
from tests.api.conftest import PASSWORD
from tests.conftest import ROOT, SettableClock, test_settings

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TOKEN = "/api/v1/auth/token"


def throttled(database_url: str, *, per_address: int = 1_000, per_username: int = 1_000) -> Settings:
    return test_settings(
        database_url,
        login_attempts_per_minute=per_address,
        login_attempts_per_username_per_minute=per_username,
    )


@asynccontextmanager
async def two_apps(settings: Settings, clock: SettableClock) -> AsyncIterator[tuple[Litestar, Litestar]]:
    """Two applications built from the same settings, on the same database, both serving; the users
    ``li.wei`` and ``zhao.min`` exist. SQLite serves one web process (`api.single_process`), so there
    the two are one application: the counts are shared across processes only on PostgreSQL."""
    a = create_app(settings, clock=clock)
    b = a if settings.is_sqlite else create_app(settings, clock=clock)
    async with AsyncExitStack() as serving:
        for app in dict.fromkeys((a, b)):
            await serving.enter_async_context(app.lifespan())
        with domain_context(a).entered():
            for username in ("li.wei", "zhao.min"):
                await create_user(
                    username=username,
                    password=PASSWORD,
                    role=Role.WAREHOUSE,
                    customer=None,
                    passwords=settings.passwords(),
                    now=T0,
                )
        yield a, b


async def sign_in(
    app: Any, username: str, password: str = PASSWORD, *, peer: str = "192.0.2.10", **headers: str
) -> httpx.Response:
    """One sign-in through ``app`` (an application, or the server's middleware around it) from the
    socket peer ``peer``."""
    transport = httpx.ASGITransport(app=app, client=(peer, 40_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://spareline") as client:
        return await client.post(TOKEN, json={"username": username, "password": password}, headers=headers)


def assert_refused(response: httpx.Response, *, counter: str, retry_after: int) -> None:
    """A 429 problem document that tells people what happened and when to try again."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == str(retry_after)
    problem = response.json()
    whom = "from your network address" if counter == "address" else "for this username"
    seconds = "1 second" if retry_after == 1 else f"{retry_after} seconds"
    assert problem == {
        "type": "urn:spareline:problem:too-many-sign-in-attempts",
        "title": "Too many attempts",
        "status": 429,
        "detail": f"Too many sign-in attempts {whom}. Please wait {seconds} and try again.",
        "retry_after_s": retry_after,
        "counter": counter,
    }


async def test_two_applications_on_one_database_share_the_address_limit(database_url, clock):
    """Attempts through A and B together are refused at the limit, whichever usernames they name,
    whether they exist, and whether the password is right."""
    async with two_apps(throttled(database_url, per_address=3), clock) as (a, b):
        attempts = [
            (a, "li.wei", PASSWORD),
            (b, "li.wei", "wrong"),
            (a, "nobody", PASSWORD),
            (b, "zhao.min", PASSWORD),
        ]
        answers = []
        for second, (app, username, password) in enumerate(attempts):
            clock.now = T0 + timedelta(seconds=second)
            answers.append(await sign_in(app, username, password))
        assert [answer.status_code for answer in answers] == [200, 401, 401, 429]
        assert_refused(answers[3], counter="address", retry_after=57)
        clock.now = T0 + timedelta(seconds=10)
        assert_refused(await sign_in(a, "zhao.min"), counter="address", retry_after=50)
        # Another address has a limit of its own.
        assert (await sign_in(b, "zhao.min", peer="192.0.2.11")).status_code == 200


async def test_one_username_from_different_addresses_hits_the_username_limit(database_url, clock):
    async with two_apps(throttled(database_url, per_username=3), clock) as (a, b):
        clock.now = T0
        answers = [
            await sign_in(app, "li.wei", "wrong", peer=f"198.51.100.{n}")
            for n, app in enumerate((a, b, a), start=1)
        ]
        assert [answer.status_code for answer in answers] == [401, 401, 401]
        clock.now = T0 + timedelta(seconds=20)
        # The right password from a fresh address is refused as well: the username's window is spent.
        assert_refused(await sign_in(b, "li.wei", peer="198.51.100.4"), counter="username", retry_after=40)
        assert (await sign_in(b, "zhao.min", peer="198.51.100.4")).status_code == 200


async def test_a_refused_attempt_counts_against_neither_limit(database_url, clock):
    """A client refused for its address cannot lock usernames out with its refused attempts, and an
    attempt refused for its username does not use up its address's attempts."""
    async with two_apps(throttled(database_url, per_address=2, per_username=3), clock) as (a, b):
        clock.now = T0
        statuses = [(await sign_in(a, "li.wei", "wrong", peer="198.51.100.1")).status_code for _ in range(5)]
        assert statuses == [401, 401, 429, 429, 429]
        # Two of li.wei's three attempts are spent, not five.
        assert (await sign_in(b, "li.wei", "wrong", peer="198.51.100.2")).status_code == 401
        refused = await sign_in(b, "li.wei", "wrong", peer="198.51.100.2")
        assert_refused(refused, counter="username", retry_after=60)
        # 198.51.100.2 has made one attempt that counts, so it has one left.
        assert (await sign_in(a, "zhao.min", peer="198.51.100.2")).status_code == 200
        assert_refused(await sign_in(b, "zhao.min", peer="198.51.100.2"), counter="address", retry_after=60)


async def test_a_burst_of_concurrent_attempts_gets_exactly_the_limit(database_url, clock):
    """Twenty guesses at once through both applications, each from its own address: exactly five reach
    the password check."""
    async with two_apps(throttled(database_url, per_username=5), clock) as (a, b):
        clock.now = T0
        answers = await asyncio.gather(
            *(sign_in((a, b)[n % 2], "li.wei", f"guess-{n}", peer=f"198.51.100.{n}") for n in range(20))
        )
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [401] * 5 + [429] * 15


async def test_the_window_closes_and_lets_the_user_in_again(database_url, clock):
    async with two_apps(throttled(database_url, per_username=2), clock) as (a, b):
        clock.now = T0
        assert (await sign_in(a, "li.wei", "wrong")).status_code == 401
        clock.now = T0 + timedelta(seconds=10)
        assert (await sign_in(b, "li.wei", "wrong")).status_code == 401
        clock.now = T0 + timedelta(seconds=30)
        assert_refused(await sign_in(a, "li.wei"), counter="username", retry_after=30)
        clock.now = T0 + timedelta(seconds=59, milliseconds=500)
        assert_refused(await sign_in(b, "li.wei"), counter="username", retry_after=1)
        clock.now = T0 + timedelta(seconds=60)
        assert (await sign_in(a, "li.wei")).status_code == 200
        # A new window opened with that attempt: one more, then refused again until it closes.
        assert (await sign_in(b, "li.wei", "wrong")).status_code == 401
        assert_refused(await sign_in(a, "li.wei"), counter="username", retry_after=60)


async def test_a_refused_attempt_checks_no_password_for_any_user(database_url, clock, monkeypatch):
    """The throttle comes before the password check, and does the same for known and unknown users."""
    checks: list[str] = []
    real_verify = Passwords.verify

    async def verify(self: Passwords, password_hash: str | None, password: str) -> bool:
        checks.append(password)
        return await real_verify(self, password_hash, password)

    monkeypatch.setattr(Passwords, "verify", verify)
    async with two_apps(throttled(database_url, per_address=1), clock) as (a, b):
        clock.now = T0
        assert (await sign_in(a, "nobody", "first")).status_code == 401
        for app, username in ((b, "li.wei"), (a, "nobody")):
            assert_refused(await sign_in(app, username, "second"), counter="address", retry_after=60)
        assert checks == ["first"]


async def test_purge_removes_the_counters_of_closed_windows(database_url, clock):
    async with two_apps(throttled(database_url), clock) as (a, _b):
        clock.now = T0
        assert (await sign_in(a, "li.wei", peer="198.51.100.1")).status_code == 200
        clock.now = T0 + timedelta(seconds=30)
        assert (await sign_in(a, "zhao.min", peer="198.51.100.2")).status_code == 200
        with domain_context(a).entered():
            rows = await LoginAttempt.select(LoginAttempt.kind, LoginAttempt.subject)
            # Keyed hashes: neither the usernames nor the addresses are stored.
            assert sorted(row["kind"] for row in rows) == ["address", "address", "username", "username"]
            for row in rows:
                assert len(row["subject"]) == 64
                assert int(row["subject"], 16) >= 0
            assert await purge_login_attempts(T0 + timedelta(seconds=59)) == 0
            assert await purge_login_attempts(T0 + timedelta(seconds=60)) == 2
            assert await LoginAttempt.count() == 2
            assert await purge_login_attempts(T0 + timedelta(seconds=90)) == 2
            assert await LoginAttempt.count() == 0


# --- the client address, as uvicorn names it -------------------------------------------------------------


def procfile_server(app: Litestar, environment: dict[str, str]) -> Any:
    """``app`` wrapped as uvicorn wraps it when the Procfile's web command runs with ``environment``:
    the command expanded by the shell, its options parsed by uvicorn's command line, and uvicorn's
    `Config` loaded from them (which adds ``ProxyHeadersMiddleware`` when proxy headers are on)."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    web = line[line.index("uvicorn ") :]  # the server's command, after what prepares it
    expanded = subprocess.run(
        ["sh", "-c", 'uvicorn() { printf "%s\\0" "$@"; }; ' + web],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PORT": "8000", **environment},
        capture_output=True,
        check=True,
    )
    argv = expanded.stdout.decode().split("\0")[:-1]
    options = uvicorn_command.make_context("uvicorn", argv).params
    config = uvicorn.Config(
        app,
        proxy_headers=options["proxy_headers"],
        forwarded_allow_ips=options["forwarded_allow_ips"],
        log_config=None,
    )
    config.load()
    return config.loaded_app


async def test_a_forwarded_address_from_an_untrusted_peer_changes_nothing(database_url, clock):
    """Without FORWARDED_ALLOW_IPS the Procfile trusts no proxy, not even one on the same machine
    (uvicorn alone would trust 127.0.0.1 and ::1): the socket's peer is the client, whatever
    ``X-Forwarded-For`` says."""
    async with two_apps(throttled(database_url, per_address=3), clock) as (a, b):
        clock.now = T0
        servers = (procfile_server(a, {}), procfile_server(b, {}))
        for peer in ("203.0.113.5", "127.0.0.1"):
            answers = [
                await sign_in(servers[n % 2], "nobody", peer=peer, **{"X-Forwarded-For": f"198.51.100.{n}"})
                for n in range(4)
            ]
            assert [answer.status_code for answer in answers] == [401, 401, 401, 429], peer


async def test_a_trusted_proxy_names_the_client_and_a_spoofed_hop_is_ignored(database_url, clock):
    """With FORWARDED_ALLOW_IPS naming the load balancers, each client behind them counts on its own;
    what a client writes into ``X-Forwarded-For`` itself, ahead of what the proxy appends, is ignored."""
    environment = {"FORWARDED_ALLOW_IPS": "10.0.0.0/8"}
    async with two_apps(throttled(database_url, per_address=3), clock) as (a, b):
        clock.now = T0
        servers = (procfile_server(a, environment), procfile_server(b, environment))
        proxied = [
            await sign_in(servers[n % 2], "nobody", peer="10.1.2.3", **{"X-Forwarded-For": f"198.51.100.{n}"})
            for n in range(5)
        ]
        assert [answer.status_code for answer in proxied] == [401] * 5
        spoofing = [
            await sign_in(
                servers[n % 2],
                "nobody",
                peer="10.1.2.3",
                **{"X-Forwarded-For": f"203.0.113.{n}, 198.51.100.77"},
            )
            for n in range(4)
        ]
        assert [answer.status_code for answer in spoofing] == [401, 401, 401, 429]


def test_uvicorn_alone_trusts_the_local_machine(monkeypatch):
    """What the README says uvicorn does without ``--forwarded-allow-ips``: proxy headers on, trusted
    from FORWARDED_ALLOW_IPS or else from 127.0.0.1 and ::1 (which is why the Procfile passes it)."""
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    config = uvicorn.Config("api.app:create_app", factory=True, log_config=None)
    assert (config.proxy_headers, config.forwarded_allow_ips) == (True, "127.0.0.1,::1")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.1")
    assert uvicorn.Config("api.app:create_app", log_config=None).forwarded_allow_ips == "10.0.0.1"
