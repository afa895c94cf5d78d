"""Label sheets: every code printed is decoded from its image and scanned back to what it names."""

from __future__ import annotations

import base64
import io
from urllib.parse import quote

import zxingcpp
from PIL import Image
from selectolax.lexbor import LexborHTMLParser

from tests.api.conftest import receive, units


def _decoded(src: str) -> list[tuple[str, str]]:
    """``(format, text)`` of every symbol zxing-cpp reads in a ``data:image/png;base64,`` image."""
    assert src.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    return [(symbol.format.name, symbol.text) for symbol in zxingcpp.read_barcodes(image)]


async def _sheet(client, world, **params) -> list[dict]:
    """The labels of a printed sheet: kind, code, and what each of its symbols decodes to."""
    response = await client.get("/api/v1/labels", params=params, headers=world.headers["warehouse"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    labels = []
    for section in LexborHTMLParser(response.text).css("section.label"):
        qr = section.css_first("img.qr").attributes["src"]
        bars = section.css_first("img.bars")
        labels.append(
            {
                "kind": section.attributes["data-kind"],
                "code": section.attributes["data-code"],
                "qr": _decoded(qr),
                "code128": _decoded(bars.attributes["src"]) if bars else None,
                "text": section.text(separator=" "),
            }
        )
    return labels


async def _scanned(client, world, code: str) -> list[tuple[str, str]]:
    response = await client.get(f"/api/v1/scan/{quote(code)}", headers=world.headers["warehouse"])
    assert response.status_code == 200, response.text
    return [(match["kind"], match["key"]) for match in response.json()["matches"]]


async def _stock(client, world):
    response = await receive(
        client,
        world,
        "PEK-C",
        [
            {"part_number": world.disk, "units": units("LBL", 3, box_size=2, batch="B-LBL-7")},
            {"part_number": world.cable, "quantity": 12, "batch_number": "B-CBL-LBL"},
        ],
    )
    assert response.status_code == 201, response.text


async def test_unit_labels_decode_to_their_serials_and_scan_back_to_the_units(client, world):
    await _stock(client, world)
    labels = await _sheet(client, world, serials="LBL0002, LBL0000")
    assert [(label["kind"], label["code"]) for label in labels] == [("unit", "LBL0002"), ("unit", "LBL0000")]
    for label in labels:
        assert label["qr"] == [("QRCode", label["code"])]
        assert label["code128"] == [("Code128", label["code"])]
        assert world.disk in label["text"]
        assert "B-LBL-7" in label["text"]
        assert await _scanned(client, world, label["qr"][0][1]) == [("unit", label["code"])]


async def test_box_batch_and_bin_labels_scan_back_to_their_objects(client, world):
    await _stock(client, world)
    box = await _sheet(client, world, box_number="LBL-BOX0")
    assert [(label["kind"], label["code"]) for label in box] == [
        ("box", "LBL-BOX0"),
        ("unit", "LBL0000"),
        ("unit", "LBL0001"),
    ]
    batch = await _sheet(client, world, batch_number="B-CBL-LBL")
    assert [(label["kind"], label["code"]) for label in batch] == [("batch", "B-CBL-LBL")]
    bins = await _sheet(client, world, bins="PEK-C/A-01-03,SHA-C/B-2")
    assert [label["code"] for label in bins] == ["PEK-C/A-01-03", "SHA-C/B-2"]

    expected = {
        "LBL-BOX0": [("box", "LBL-BOX0")],
        "B-CBL-LBL": [("batch", "B-CBL-LBL")],
        "PEK-C/A-01-03": [("bin", "PEK-C/A-01-03")],
        "SHA-C/B-2": [("bin", "SHA-C/B-2")],
    }
    for label in [box[0], *batch, *bins]:
        ((symbology, text),) = label["qr"]
        assert (symbology, label["code128"]) == ("QRCode", [("Code128", text)])
        assert await _scanned(client, world, text) == expected[text]


async def test_scan_names_depots_tickets_and_says_when_it_knows_nothing(client, world):
    staff = world.headers["warehouse"]
    depot = await client.get("/api/v1/scan/PEK-C", headers=staff)
    assert depot.status_code == 200
    assert depot.json()["matches"] == [
        {
            "kind": "depot",
            "key": "PEK-C",
            "part_number": None,
            "count": 0,
            "detail": "PEK-C",
            "href": "/api/v1/depots/PEK-C",
        }
    ]
    unknown = await client.get("/api/v1/scan/NOTHING-HERE", headers=staff)
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "code"
    assert (await client.get("/api/v1/scan/PEK-C", headers=world.headers["customer"])).status_code == 403


async def test_a_sheet_names_one_kind_of_thing_that_exists(client, world):
    await _stock(client, world)
    staff = world.headers["warehouse"]
    for params, status in (
        ({}, 422),
        ({"serials": "LBL0000", "box_number": "LBL-BOX0"}, 422),
        ({"serials": " , "}, 422),
        ({"serials": "LBL0000,NOPE1,NOPE2"}, 404),
        ({"box_number": "NO-SUCH-BOX"}, 404),
        ({"batch_number": "NO-SUCH-BATCH"}, 404),
        ({"bins": "PEK-C"}, 422),
        ({"bins": "XXX-Z/A1"}, 404),
    ):
        response = await client.get("/api/v1/labels", params=params, headers=staff)
        assert response.status_code == status, (params, response.text)
    missing = await client.get("/api/v1/labels", params={"serials": "LBL0000,NOPE1"}, headers=staff)
    assert missing.json()["serials"] == ["NOPE1"]
    too_many = ",".join(f"S{n}" for n in range(400))
    assert (
        await client.get("/api/v1/labels", params={"serials": too_many}, headers=staff)
    ).status_code == 422
    assert (
        await client.get("/api/v1/labels", params={"serials": "LBL0000"}, headers=world.headers["customer"])
    ).status_code == 403


async def test_a_scanned_batch_leads_to_its_units_or_to_its_bulk_stock(client, world):
    await _stock(client, world)
    staff = world.headers["warehouse"]
    for code, listing, kept in (
        ("B-LBL-7", "/api/v1/stock/units?batch_number=B-LBL-7", ["LBL0000", "LBL0001", "LBL0002"]),
        ("B-CBL-LBL", "/api/v1/stock/batches?batch_number=B-CBL-LBL", [12]),
    ):
        scanned = await client.get(f"/api/v1/scan/{code}", headers=staff)
        [match] = scanned.json()["matches"]
        assert (match["kind"], match["href"]) == ("batch", listing)
        shown = await client.get(match["href"], headers=staff)
        assert shown.status_code == 200, shown.text
        assert [item.get("serial", item.get("available")) for item in shown.json()["items"]] == kept
