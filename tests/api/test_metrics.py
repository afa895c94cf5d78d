"""``GET /metrics``: open without a token but only to internal clients, request series by route template,
domain gauges at the app's clock, and several processes added up in multiprocess mode."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.domain_context import domain_context
from api.metrics import client_allowed
from api.sweeper import sweep_once
from api.worker import SOLVE_QUEUE_KEY
from jobs import PERIODIC_JOBS, InProcessRunner, PeriodicJob, PeriodicParams
from tests.api.service_world import build, local, open_ticket, stock_disks
from tests.conftest import ROOT, test_settings

Labels = frozenset[tuple[str, str]]


def samples(text: str) -> dict[tuple[str, Labels], float]:
    """Every sample of a text exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


def requests_total(text: str, path: str, status: int, method: str = "GET") -> float:
    labelled = {"app_name": "spareline", "method": method, "path": path, "status_code": str(status)}
    return value(text, "spareline_requests_total", **labelled) or 0.0


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return response.text


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_metrics_answer_without_a_token_in_prometheus_text_format(client):
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert value(response.text, "spareline_build_info", service="spareline", version="0.1.0") == 1


async def test_requests_are_counted_by_route_template_and_status(client, headers):
    before = await scrape(client)
    admin = headers["admin"]
    for code in ("NOPE-1", "NOPE-2", "NOPE-3"):
        assert (await client.get(f"/api/v1/depots/{code}", headers=admin)).status_code == 404
    assert (await client.get("/api/v1/depots/NOPE-4")).status_code == 401  # authentication raises it
    assert (await client.get("/health")).status_code == 200
    after = await scrape(client)
    template = "/api/v1/depots/{code}"
    assert requests_total(after, template, 404) - requests_total(before, template, 404) == 3
    assert requests_total(after, template, 401) - requests_total(before, template, 401) == 1
    assert requests_total(after, "/health", 200) - requests_total(before, "/health", 200) == 1
    assert "NOPE" not in after  # raw paths never become labels
    duration = {"app_name": "spareline", "method": "GET", "path": template, "status_code": "404"}
    count = value(after, "spareline_request_duration_seconds_count", **duration)
    assert count is not None
    assert count - (value(before, "spareline_request_duration_seconds_count", **duration) or 0) == 3
    assert value(after, "spareline_request_duration_seconds_bucket", le="+Inf", **duration) == count
    assert requests_total(after, "/metrics", 200) == 0  # scrapes are not counted


async def test_server_errors_are_counted_as_errors(client, headers, monkeypatch):
    async def broken(**_: object) -> None:
        raise RuntimeError("a fault of the service")

    monkeypatch.setattr("api.controllers.catalogue.stock.list_parts", broken)
    labels = {"app_name": "spareline", "method": "GET", "path": "/api/v1/parts", "status_code": "500"}
    before = value(await scrape(client), "spareline_requests_error_total", **labels) or 0
    assert (await client.get("/api/v1/parts", headers=headers["admin"])).status_code == 500
    after = value(await scrape(client), "spareline_requests_error_total", **labels)
    assert after == before + 1


async def test_domain_gauges_follow_the_sweep_and_the_audit_chain(client, world, clock, database_url):
    clock.now = start = local(2026, 11, 24, 10)
    sworld = await build(client, world)
    await stock_disks(client, world, "SHA-C", 1)
    ticket = await open_ticket(client, sworld, "PREM")
    reserved = await client.post(
        f"/api/v1/tickets/{ticket['id']}/reservations",
        json={"part_number": world.disk, "quantity": 1},
        headers=world.headers["dispatcher"],
    )
    assert reserved.status_code == 201, reserved.text
    postgres = database_url.startswith("postgresql")

    fresh = await scrape(client)
    assert value(fresh, "spareline_sweep_lag_seconds", sweep="sla_breaches") == 0
    assert value(fresh, "spareline_sweep_lag_seconds", sweep="reservation_expiry") == 0
    length = value(fresh, "spareline_audit_chain_length")
    assert length is not None
    assert length > 0
    assert value(fresh, "spareline_audit_uncovered_entries") == length
    assert value(fresh, "spareline_audit_checkpoint_age_seconds") is None  # none signed yet
    assert value(fresh, "spareline_audit_queue_rows") == (length if postgres else 0)
    assert value(fresh, "spareline_scrape_gauge_up", gauge="sweep_lag_gauges") == 1
    assert value(fresh, "spareline_scrape_gauge_up", gauge="audit_chain_gauges") == 1

    signed = await client.post("/api/v1/audit/checkpoints", headers=world.headers["compliance"])
    assert signed.status_code == 201, signed.text
    clock.now = start + timedelta(hours=49)  # past every deadline and the 48 h reservation expiry
    late = await scrape(client)
    first_due = min(at(milestone["due_at"]) for milestone in ticket["sla"].values())
    expires = at(reserved.json()["expires_at"])
    assert value(late, "spareline_sweep_lag_seconds", sweep="sla_breaches") == pytest.approx(
        (clock.now - first_due).total_seconds()
    )
    assert value(late, "spareline_sweep_lag_seconds", sweep="reservation_expiry") == pytest.approx(
        (clock.now - expires).total_seconds()
    )
    assert value(late, "spareline_audit_checkpoint_age_seconds") == pytest.approx(49 * 3600)
    assert value(late, "spareline_audit_uncovered_entries") == 0

    result = await sweep_once(clock.now, checkpoint_every_entries=10**6, checkpoint_every_seconds=0)
    assert result.breaches == len(ticket["sla"])
    assert result.expired_reservations == 1
    swept = await scrape(client)
    assert value(swept, "spareline_sweep_lag_seconds", sweep="sla_breaches") == 0
    assert value(swept, "spareline_sweep_lag_seconds", sweep="reservation_expiry") == 0
    grown = value(swept, "spareline_audit_chain_length")
    assert grown is not None
    assert grown > length
    assert value(swept, "spareline_audit_uncovered_entries") == grown - length
    assert value(swept, "spareline_audit_queue_rows") == 0  # purged by the sweep (SQLite queues none)


async def test_a_failing_gauge_leaves_the_others_and_says_so(client, monkeypatch):
    async def broken(_now: datetime) -> None:
        raise RuntimeError("the database is away")

    monkeypatch.setattr("observability.domain.sweep_lag", broken)
    text = await scrape(client)
    assert value(text, "spareline_scrape_gauge_up", gauge="sweep_lag_gauges") == 0
    assert value(text, "spareline_scrape_gauge_up", gauge="audit_chain_gauges") == 1
    assert value(text, "spareline_sweep_lag_seconds", sweep="sla_breaches") is None
    assert value(text, "spareline_audit_chain_length") is not None


async def test_metrics_from_outside_the_allowed_networks_are_404(app, client):
    outside = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 40000)), base_url="http://testserver"
    )
    async with outside:
        refused = await outside.get("/metrics")
        unknown = await outside.get("/no-such-route")
        assert (await outside.get("/health")).status_code == 200  # the rest of the service answers
    assert refused.status_code == 404
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json() == unknown.json()  # as if there were no such route
    assert "spareline_" not in refused.text
    assert (await client.get("/metrics")).status_code == 200  # the test client is 127.0.0.1


async def test_allowed_networks_are_a_setting(database_url):
    app = create_app(test_settings(database_url, metrics_allowed_networks="10.0.0.0/8, fd00::/8"))
    async with app.lifespan():
        for address, status in (("10.20.30.40", 200), ("fd00::5", 200), ("127.0.0.1", 404)):
            transport = httpx.ASGITransport(app=app, client=(address, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                assert (await client.get("/metrics")).status_code == status, address


def test_client_addresses_are_matched_against_networks():
    networks = [ip_network("127.0.0.0/8"), ip_network("::1/128"), ip_network("10.0.0.0/8")]
    assert client_allowed("127.0.0.1", networks)
    assert client_allowed("::1", networks)
    assert client_allowed("::ffff:10.1.2.3", networks)  # IPv4 through an IPv6 socket
    assert client_allowed("10.255.0.1", networks)
    assert not client_allowed("11.0.0.1", networks)
    assert not client_allowed("2001:db8::1", networks)
    assert not client_allowed("testclient", networks)  # not an address
    assert not client_allowed(None, networks)
    assert not client_allowed("127.0.0.1", [])


WRITER = """
import asyncio, sys
import httpx
from api.app import create_app
from api.domain_context import domain_context
from observability import job_timer, solve_timer
from tests.conftest import test_settings

async def main(url, requests):
    app = create_app(test_settings(url))
    async with app.lifespan(), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        for _ in range(requests):
            assert (await client.get("/health")).status_code == 200
    try:
        with job_timer("nightly-plan"):
            raise RuntimeError("failed")
    except RuntimeError:
        pass
    with solve_timer("nbd", "pyvrp") as solve:
        solve.outcome = "partial"

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


async def test_multiprocess_mode_adds_up_every_process(client, sqlite_template, tmp_path, monkeypatch):
    directory = tmp_path / "metrics"
    directory.mkdir()
    env = {**_clean_environment(), "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    databases = []  # a database each: SQLite serves one web process
    for n in (2, 3):
        databases.append(tmp_path / f"writer-{n}.sqlite3")
        shutil.copyfile(sqlite_template, databases[-1])
    writers = [
        subprocess.Popen(  # noqa: ASYNC220 - two processes at once, waited for below
            [sys.executable, "-c", WRITER, f"sqlite:///{database}", str(requests)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for database, requests in zip(databases, (2, 3), strict=True)
    ]
    for writer in writers:
        output, _ = writer.communicate(timeout=120)
        assert writer.returncode == 0, output
    assert len(list(directory.glob("counter_*.db"))) == 2  # one file per process

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    text = await scrape(client)
    assert requests_total(text, "/health", 200) == 5
    assert value(text, "spareline_job_failures_total", task="nightly-plan") == 2
    assert value(text, "spareline_job_duration_seconds_count", task="nightly-plan", outcome="failed") == 2
    solves = {"kind": "nbd", "backend": "pyvrp", "outcome": "partial"}
    assert value(text, "spareline_solve_duration_seconds_count", **solves) == 2
    assert value(text, "spareline_audit_chain_length") == 0  # scrape-time gauges still come along
    # No process is serving any more: their requests in progress went with them.
    in_progress = [
        sample for (name, _), sample in samples(text).items() if name == "spareline_requests_in_progress"
    ]
    assert in_progress == []


def test_reset_metrics_empties_the_directory_of_earlier_processes(tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_123.db").write_bytes(b"old")
    (directory / "histogram_123.db").write_bytes(b"old")
    (directory / "README").write_text("not ours")
    env = {**_clean_environment(), "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-m", "api", "reset-metrics"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in directory.iterdir()) == ["README"]
    missing = tmp_path / "new" / "metrics"
    env["PROMETHEUS_MULTIPROC_DIR"] = str(missing)
    subprocess.run([sys.executable, "-m", "api", "reset-metrics"], cwd=ROOT, env=env, check=True)
    assert missing.is_dir()


def test_a_multiprocess_directory_that_does_not_exist_stops_the_app(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "absent"))
    with pytest.raises(ValueError, match="PROMETHEUS_MULTIPROC_DIR"):
        create_app(test_settings(sqlite_url))


def _clean_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OTEL_", "PROMETHEUS_", "prometheus_"))
    }


async def test_the_job_queue_depth_is_scraped_where_there_is_a_queue(app, client, settings):
    """On PostgreSQL the web queues its background work: waiting and running jobs per queue are a
    scrape-time gauge. On SQLite there is no queue, and no such series."""
    if settings.is_sqlite:
        assert "spareline_job_queue_jobs" not in await scrape(client)
        return
    before = await scrape(client)
    assert value(before, "spareline_job_queue_jobs", queue="solves", status="todo") in (None, 0.0)
    await app.state[SOLVE_QUEUE_KEY].submit(4_321)  # no worker runs here: it waits
    after = await scrape(client)
    assert value(after, "spareline_job_queue_jobs", queue="solves", status="todo") == 1


async def test_periodic_jobs_are_timed_by_task_and_outcome(app, client, settings):
    """Every periodic job that runs is observed in ``spareline_job_duration_seconds`` under its name
    (here by the in-process runner, as on SQLite), and a failing one is counted as a failure."""

    async def broken(now: datetime, params: PeriodicParams) -> dict[str, object]:
        raise RuntimeError("broken on purpose")

    jobs = [j for j in PERIODIC_JOBS if j.name == "audit-checkpoint"]
    jobs.append(PeriodicJob("broken-on-purpose", "* * * * *", None, broken))
    runner = InProcessRunner(
        jobs,
        params=PeriodicParams(
            settings.audit_checkpoint_every_entries, settings.audit_checkpoint_every_seconds
        ),
        clock=lambda: datetime.now(UTC),
        enter=domain_context(app).entered,
        tick_s=60,
    )
    before = await scrape(client)
    await runner.tick()
    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert grew("spareline_job_duration_seconds_count", task="audit-checkpoint", outcome="succeeded") == 1
    assert grew("spareline_job_duration_seconds_count", task="broken-on-purpose", outcome="failed") == 1
    assert grew("spareline_job_failures_total", task="broken-on-purpose") == 1
