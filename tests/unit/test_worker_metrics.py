"""A job worker, which serves no web requests, exposes its own series on a port of its own."""

from __future__ import annotations

import socket

import httpx
import pytest

from observability import job_timer, serve_process_metrics


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_worker_exposes_its_jobs_on_its_own_port(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    port = free_port()
    serve_process_metrics("127.0.0.1", port)
    with job_timer("exposed-on-its-own-port"):
        pass
    with pytest.raises(RuntimeError), job_timer("exposed-on-its-own-port"):
        raise RuntimeError("failed on purpose")
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    assert (
        'spareline_job_duration_seconds_count{outcome="succeeded",task="exposed-on-its-own-port"} 1.0' in text
    )
    assert 'spareline_job_failures_total{task="exposed-on-its-own-port"} 1.0' in text
    assert "spareline_build_info{" in text
