"""The service against its own OpenAPI document, fuzzed by schemathesis on both engines.

A real server (uvicorn, one process) serves the demo data; schemathesis generates requests from
``/schema/openapi.json`` as an administrator and as a customer, with a fixed seed and a few examples per
operation, and fails on any 5xx, any answer its document does not describe (status, content type or
schema). Afterwards the ledger and the audit chain must still check out.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
SEED = 20261206
EXAMPLES_PER_OPERATION = 3
ROLES = {"admin": "admin", "customer": "zhb"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _service_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "SWEEP_INTERVAL_S": "0",
        "LOGIN_ATTEMPTS_PER_MINUTE": "100000",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8",
        "ARGON2_PARALLELISM": "1",
        "ROUTING_DEFAULT_TIME_LIMIT_S": "0.5",
        "ROUTING_MAX_TIME_LIMIT_S": "1",
        # Plans are solved by the job queue on PostgreSQL: a worker of its solves in the server.
        "WORKER_IN_WEB": "true",
        "WORKER_QUEUES": '["solves"]',
        "LOG_LEVEL": "ERROR",
    }


def _run(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def demo_server(database_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A uvicorn server on the demo data: its base URL and environment."""
    env = _service_env(database_url)
    loaded = _run(env, "load-demo")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else "server exited"
            try:
                if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        yield base, env
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _token(base: str, username: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/token", json={"username": username, "password": "demo"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_the_service_answers_what_its_openapi_document_says(demo_server, tmp_path):
    base, env = demo_server
    for role, username in ROLES.items():
        fuzz = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{base}/schema/openapi.json",
                "--checks",
                CHECKS,
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--seed",
                str(SEED),
                "--workers",
                "1",
                "--no-shrink",
                "--request-timeout",
                "30",
                "--report-dir",
                str(tmp_path / role),
                "--header",
                f"Authorization: Bearer {_token(base, username)}",
            ],
            cwd=tmp_path,
            env={**env, "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert fuzz.returncode == 0, f"as {role}:\n{fuzz.stdout[-20_000:]}\n{fuzz.stderr[-5_000:]}"
    ledger = _run(env, "check-ledger")
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    chain = _run(env, "audit-verify")
    assert chain.returncode == 0, chain.stdout + chain.stderr
