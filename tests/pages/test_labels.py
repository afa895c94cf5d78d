"""Label printing from a unit's, a box's and a batch's page, for the warehouse and the administrator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.pages.conftest import SQLITE_ONLY, Browser, Page
from tests.pages.test_warehouse import EN, a_unit

SignedIn = Callable[[str], Awaitable[Browser]]
ZH = {"accept-language": "zh-CN"}


def label_links(page: Page) -> list[str]:
    """The page's links to label sheets."""
    return [
        node.attributes["href"] or ""
        for node in page.css("a[href]")
        if (node.attributes["href"] or "").startswith("/labels?")
    ]


@SQLITE_ONLY
async def test_labels_are_printed_from_a_unit_a_box_and_a_batch(signed_in: SignedIn) -> None:
    warehouse = await signed_in("warehouse")
    unit = await a_unit()
    life = await warehouse.page(f"/stock/units/{unit['serial']}", headers=EN)
    [own] = label_links(life)
    sheet = await warehouse.page(own, headers=EN)
    assert sheet.status == 200
    assert [node.attributes["data-code"] for node in sheet.css("section.label")] == [unit["serial"]]
    assert sheet.css("section.label img.qr")
    assert sheet.css("section.label img.bars")

    box = await warehouse.page(f"/stock/units?box={unit['box_number']}", headers=EN)
    [box_sheet] = label_links(box)
    printed = await warehouse.page(box_sheet, headers=EN)
    kinds = [node.attributes["data-kind"] for node in printed.css("section.label")]
    assert kinds[0] == "box"
    assert set(kinds[1:]) == {"unit"}
    assert unit["serial"] in [node.attributes["data-code"] for node in printed.css("section.label")]

    batch = await warehouse.page(f"/stock/units?batch={unit['batch_number']}", headers=ZH)
    [batch_sheet] = label_links(batch)
    chinese = await warehouse.page(batch_sheet, headers=ZH)
    assert [node.attributes["data-kind"] for node in chinese.css("section.label")] == ["batch"]
    assert "批次" in chinese.text("section.label")
    assert "标签" in chinese.text(".screen-only")


@SQLITE_ONLY
async def test_label_printing_is_the_warehouse_s_and_says_what_is_wrong(signed_in: SignedIn) -> None:
    unit = await a_unit()
    for username in ("dispatcher", "zhb"):
        refused = await (await signed_in(username)).page(f"/labels?serials={unit['serial']}")
        assert refused.status == 403
    admin = await signed_in("admin")
    unknown = await admin.page("/labels?serials=NO-SUCH-SERIAL", headers=EN)
    assert unknown.status == 404
    assert "NO-SUCH-SERIAL" in unknown.response.text
