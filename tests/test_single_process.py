"""SQLite serves one web process: a second one fails at start-up saying why and what to do, in the same
process or another, and ``python -m api serve`` refuses WEB_CONCURRENCY above 1 on SQLite."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.single_process import AnotherWebProcess, lock_path
from tests.conftest import ROOT, eventually, test_settings

WAIT_S = 90


async def test_a_second_app_on_the_same_sqlite_file_refuses_to_start(sqlite_url):
    first, second = create_app(test_settings(sqlite_url)), create_app(test_settings(sqlite_url))
    async with first.lifespan():
        with pytest.raises(ExceptionGroup) as refused:  # Litestar's lifespan groups what fails in it
            async with second.lifespan():
                pass
        assert refused.group_contains(AnotherWebProcess, match="SQLite serves one web process")
        assert refused.group_contains(AnotherWebProcess, match="PostgreSQL")
    async with second.lifespan():  # the first one has stopped: the file is free again
        pass
    assert lock_path(Path(sqlite_url.removeprefix("sqlite:///"))).exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(sqlite_url: str, port: int, log: Path, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": sqlite_url, "ENVIRONMENT": "test", "LOG_FORMAT": "console", **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


async def test_a_second_web_process_on_the_same_sqlite_file_fails_at_start_up(sqlite_url, tmp_path):
    port = free_port()
    first = serve(sqlite_url, port, tmp_path / "first.log")
    try:

        async def ready() -> bool:
            if first.poll() is not None:
                pytest.fail((tmp_path / "first.log").read_text())
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(ready, timeout_s=WAIT_S, every_s=0.2)
        second = serve(sqlite_url, free_port(), tmp_path / "second.log")
        assert second.wait(timeout=WAIT_S) != 0
        told = " ".join((tmp_path / "second.log").read_text().split())
        assert "another web process is serving the SQLite database" in told
        assert "PostgreSQL" in told
        assert first.poll() is None, "the first one serves on"
    finally:
        first.terminate()
        first.wait(timeout=WAIT_S)


def test_serve_refuses_several_web_processes_on_sqlite(sqlite_url):
    result = subprocess.run(
        [sys.executable, "-m", "api", "serve"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": sqlite_url, "WEB_CONCURRENCY": "4"},
        capture_output=True,
        text=True,
        check=False,
        timeout=WAIT_S,
    )
    assert result.returncode == 2
    assert "WEB_CONCURRENCY=4" in result.stderr
    assert "SQLite serves one web process" in result.stderr
