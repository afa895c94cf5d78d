"""The OSRM adapter against a fake OSRM server on the loopback, and its fallback to the estimate."""

from __future__ import annotations

import json
import math
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import structlog

from geo.travel import Point, SpeedProfile, great_circle_km, travel_matrix
from routing import osrm
from routing.osrm import EstimateMatrix, OsrmMatrix, TravelMatrix, matrix_source

POINTS = [
    Point(39.9042, 116.4074),
    Point(39.9526, 116.3376),
    Point(39.8585, 116.2867),
    Point(40.0799, 116.6031),
    Point(39.7284, 116.3412),
    Point(39.9042, 116.4074),
    Point(40.2215, 116.2312),
]
"""Beijing sites with at most 6 decimals (as sent to OSRM); the 6th repeats the 1st."""

ANNOTATIONS = "duration,distance"


def fake_route(a: Point, b: Point) -> tuple[float, float]:
    """The fake server's road: ``(seconds, metres)`` with OSRM's decimals, longer going south."""
    if a == b:
        return 0.0, 0.0
    metres = great_circle_km(a, b) * 1000 * (1.21 if a.latitude < b.latitude else 1.37)
    return round(metres / 11.3, 1), round(metres, 2)


def expected(points: list[Point]) -> tuple[list[list[int]], list[list[int]]]:
    """What the adapter must make of the fake server's answer: metres rounded, seconds rounded up."""
    routes = [[fake_route(a, b) for b in points] for a in points]
    return (
        [[round(metres) for _seconds, metres in row] for row in routes],
        [[math.ceil(seconds) for seconds, _metres in row] for row in routes],
    )


class FakeOsrm(ThreadingHTTPServer):
    """A Table service computed from the requested coordinates, switchable to misbehave."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = "ok"
        self.max_table_size = 0
        self.requests: list[tuple[int, int, int]] = []
        self.stop = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeOsrm

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        server = self.server
        parts = urlsplit(self.path)
        prefix = "/table/v1/driving/"
        if "%" in self.path or not parts.path.startswith(prefix):
            self._reply(400, {"code": "InvalidUrl", "message": f"URL string malformed: {self.path}"})
            return
        points = [
            Point(float(lat), float(lon))
            for lon, lat in (pair.split(",") for pair in parts.path.removeprefix(prefix).split(";"))
        ]
        query = parse_qs(parts.query)
        if query.get("annotations") != [ANNOTATIONS]:
            self._reply(400, {"code": "InvalidOptions", "message": "annotations"})
            return
        everyone = list(range(len(points)))
        sources = [int(k) for k in query["sources"][0].split(";")] if "sources" in query else everyone
        targets = (
            [int(k) for k in query["destinations"][0].split(";")] if "destinations" in query else everyone
        )
        server.requests.append((len(points), len(sources), len(targets)))
        if server.max_table_size and len(sources) * len(targets) > server.max_table_size**2:
            self._reply(400, {"code": "TooBig", "message": "Too many table coordinates"})
            return
        routes = [[fake_route(points[s], points[t]) for t in targets] for s in sources]
        durations: list[list[float | None]] = [[seconds for seconds, _m in row] for row in routes]
        distances: list[list[float | None]] = [[metres for _s, metres in row] for row in routes]
        if server.mode == "null_cell":
            durations[0][-1] = distances[0][-1] = None
        if server.mode == "null_distance":
            distances[-1][0] = None
        if server.mode == "short_row":
            distances[-1].pop()
        body = {
            "code": "Ok",
            "durations": durations,
            "distances": distances,
            "sources": [{"location": [points[s].longitude, points[s].latitude]} for s in sources],
            "destinations": [{"location": [points[t].longitude, points[t].latitude]} for t in targets],
        }
        match server.mode:
            case "http_500":
                self._reply(500, "Internal Server Error")
            case "invalid_query":
                self._reply(400, {"code": "InvalidQuery", "message": "Query string malformed close to 28"})
            case "no_table":
                self._reply(200, {"code": "NoTable", "message": "No table found"})
            case "garbage":
                self._reply(200, '{"code": "Ok", "durations": [[0, 1')
            case "slow":
                server.stop.wait(2)
                self._reply(200, body)
            case _:
                self._reply(200, body)

    def _reply(self, status: int, body: object) -> None:
        raw = (body if isinstance(body, str) else json.dumps(body)).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def server() -> Iterator[FakeOsrm]:
    fake = FakeOsrm()
    thread = threading.Thread(target=fake.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.stop.set()
        fake.shutdown()
        fake.server_close()
        thread.join(timeout=2)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, object]]]:
    with structlog.testing.capture_logs() as captured:
        monkeypatch.setattr(osrm, "log", structlog.get_logger(osrm.__name__))
        yield captured


def estimate(points: list[Point], profile: SpeedProfile | None = None) -> TravelMatrix:
    metres, seconds = travel_matrix(points) if profile is None else travel_matrix(points, profile)
    return TravelMatrix(metres, seconds, "estimate", None)


def test_osrm_values_are_used_when_the_server_answers(server, logs):
    result = OsrmMatrix(server.url).matrix(POINTS)

    metres, seconds = expected(POINTS)
    assert result == TravelMatrix(metres, seconds, "osrm", None)
    assert server.requests == [(7, 7, 7)]
    assert logs == []
    assert result.seconds[4][0] != result.seconds[0][4]  # rows are sources: OSRM is not symmetric
    assert result.metres != estimate(POINTS).metres
    fractions = [fake_route(a, b)[0] % 1 for a in POINTS for b in POINTS]
    assert any(0 < fraction < 0.5 for fraction in fractions)  # rounding to nearest would be caught


@pytest.mark.parametrize("table_size", [1, 2, 3, 6])
def test_blocks_of_a_small_max_table_size_give_the_same_matrix(server, logs, table_size):
    whole = OsrmMatrix(server.url).matrix(POINTS)
    server.requests.clear()
    server.max_table_size = table_size

    chunked = OsrmMatrix(server.url, max_table_size=table_size).matrix(POINTS)

    assert chunked == whole
    assert chunked.source == "osrm"
    blocks = math.ceil(len(POINTS) / table_size)
    assert len(server.requests) == blocks * blocks
    assert all(sources * targets <= table_size**2 for _n, sources, targets in server.requests)
    assert logs == []


def test_a_table_too_big_for_the_server_falls_back_with_its_error(server, logs):
    server.max_table_size = 3

    result = OsrmMatrix(server.url).matrix(POINTS)

    assert result.source == "estimate"
    assert result.reason == "HTTP 400: code 'TooBig': Too many table coordinates"
    assert (result.metres, result.seconds) == travel_matrix(POINTS)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("http_500", "HTTP 500"),
        ("invalid_query", "HTTP 400: code 'InvalidQuery': Query string malformed close to 28"),
        ("no_table", "OSRM answered code 'NoTable': No table found"),
        ("null_cell", "no route from point 0 to point 6"),
        ("null_distance", "no route from point 6 to point 0"),
        ("short_row", "malformed response: distances is not a 7x7 table"),
        ("garbage", "response is not a JSON object"),
        ("slow", "timed out after 0.2 s (ReadTimeout)"),
    ],
)
def test_each_failure_falls_back_to_the_estimate(server, logs, mode, reason):
    server.mode = mode
    profile = SpeedProfile(road_factor=1.5)

    result = OsrmMatrix(server.url, timeout_s=0.2, fallback=profile).matrix(POINTS)

    metres, seconds = travel_matrix(POINTS, profile)
    assert result == TravelMatrix(metres, seconds, "estimate", reason)
    assert logs == [
        {
            "event": "osrm_fallback",
            "log_level": "warning",
            "reason": reason,
            "points": len(POINTS),
            "base_url": server.url,
        }
    ]


def test_a_failure_in_a_later_block_falls_back_for_the_whole_matrix(server, logs):
    server.max_table_size = 3
    server.mode = "null_cell"

    result = OsrmMatrix(server.url, max_table_size=3).matrix(POINTS)

    assert result == TravelMatrix(*travel_matrix(POINTS), "estimate", "no route from point 0 to point 2")
    assert len(server.requests) == 1


def test_more_points_than_max_points_fall_back_without_a_request(server, logs):
    result = OsrmMatrix(server.url, max_points=6).matrix(POINTS)

    assert result == TravelMatrix(*travel_matrix(POINTS), "estimate", "7 points exceed max_points=6")
    assert server.requests == []
    assert [entry["reason"] for entry in logs] == ["7 points exceed max_points=6"]


def test_a_closed_port_falls_back(logs):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = OsrmMatrix(f"http://127.0.0.1:{port}", timeout_s=0.5).matrix(POINTS)

    assert (result.metres, result.seconds, result.source) == (*travel_matrix(POINTS), "estimate")
    assert result.reason is not None
    assert result.reason.startswith("request failed: ConnectError")
    assert [entry["event"] for entry in logs] == ["osrm_fallback"]


@pytest.mark.parametrize("url", [None, "", "  "])
def test_no_url_means_the_estimate(url, logs):
    source = matrix_source(url)

    assert source == EstimateMatrix()
    assert source.matrix(POINTS) == estimate(POINTS)
    assert logs == []


def test_matrix_source_with_a_url_asks_osrm(server, logs):
    profile = SpeedProfile(road_factor=1.1)
    source = matrix_source(server.url + "/", timeout_s=2, profile=profile)

    assert source == OsrmMatrix(server.url + "/", timeout_s=2, fallback=profile)
    assert source.matrix(POINTS) == TravelMatrix(*expected(POINTS), "osrm", None)


@pytest.mark.parametrize("points", [[], [POINTS[0]]])
def test_fewer_than_two_points_need_no_request(server, logs, points):
    result = OsrmMatrix(server.url).matrix(points)

    assert result == estimate(points)
    assert server.requests == []


@pytest.mark.parametrize(
    "kwargs", [{"base_url": " "}, {"timeout_s": 0}, {"max_points": 0}, {"max_table_size": 0}]
)
def test_invalid_configuration_is_refused(kwargs):
    with pytest.raises(ValueError, match="must"):
        OsrmMatrix(**{"base_url": "http://osrm:5000", **kwargs})
