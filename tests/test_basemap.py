"""The committed offline basemap: valid GeoJSON with China's 34 province-level divisions (Taiwan, Hong
Kong and Macao included) and the maritime boundary line, named in Chinese and English, and small."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

BASEMAP = Path(__file__).resolve().parent.parent / "api" / "static" / "basemap" / "cn-provinces.geojson"
PROVINCE_CODES = {
    *(f"{n}0000" for n in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37)),
    *(f"{n}0000" for n in (41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65)),
    "710000",
    "810000",
    "820000",
}
# China's extent with a margin: from the Pamirs to the Wusu Li, from Zengmu Ansha to Mohe.
LONGITUDES, LATITUDES = (73.0, 136.0), (3.0, 54.0)


@pytest.fixture(scope="module")
def basemap() -> dict:
    return json.loads(BASEMAP.read_text(encoding="utf-8"))


def positions(geometry: dict) -> list[list[float]]:
    if geometry["type"] == "MultiPolygon":
        return [point for polygon in geometry["coordinates"] for ring in polygon for point in ring]
    return [point for line in geometry["coordinates"] for point in line]


def test_it_is_a_feature_collection_of_valid_geometries(basemap: dict) -> None:
    assert basemap["type"] == "FeatureCollection"
    for feature in basemap["features"]:
        assert feature["type"] == "Feature"
        geometry = feature["geometry"]
        assert geometry["type"] in {"MultiPolygon", "MultiLineString"}
        if geometry["type"] == "MultiPolygon":
            for polygon in geometry["coordinates"]:
                for ring in polygon:
                    assert len(ring) >= 4, feature["properties"]
                    assert ring[0] == ring[-1], "rings are closed"
        else:
            assert all(len(line) >= 2 for line in geometry["coordinates"])
        for point in positions(geometry):
            assert len(point) == 2
            longitude, latitude = point
            assert LONGITUDES[0] <= longitude <= LONGITUDES[1]
            assert LATITUDES[0] <= latitude <= LATITUDES[1]


def test_every_province_level_division_is_there_once_with_both_names(basemap: dict) -> None:
    provinces = [f["properties"] for f in basemap["features"] if f["properties"]["kind"] == "province"]
    assert len(provinces) == 34
    assert {p["code"] for p in provinces} == PROVINCE_CODES
    names = {p["code"]: (p["name_zh"], p["name_en"]) for p in provinces}
    assert names["710000"] == ("台湾省", "Taiwan")
    assert names["810000"] == ("香港特别行政区", "Hong Kong")
    assert names["820000"] == ("澳门特别行政区", "Macao")
    assert all(zh and en for zh, en in names.values())


def test_the_maritime_boundary_is_drawn_to_the_south(basemap: dict) -> None:
    (maritime,) = [f for f in basemap["features"] if f["properties"]["kind"] == "maritime"]
    assert maritime["geometry"]["type"] == "MultiLineString"
    assert maritime["properties"]["name_zh"]
    assert maritime["properties"]["name_en"]
    assert len(maritime["geometry"]["coordinates"]) >= 10
    assert min(latitude for _lon, latitude in positions(maritime["geometry"])) < 5


def test_it_stays_small(basemap: dict) -> None:
    data = BASEMAP.read_bytes()
    assert len(gzip.compress(data, 9)) < 100_000
