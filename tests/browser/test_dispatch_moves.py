"""A dispatcher's changes on the board in Chromium: drag a stop to the other van, read the dry run, cancel
(the board is as it was), drag again and apply (a new draft with the stop on that van); the same move
by keyboard through the table's "Move"; then, on the committed plan, a stop reported arrived from the
board. Checked with axe; screenshots at desktop and phone sizes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import check_accessibility, screenshot, sign_in

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SOLVE_WAIT_MS = 120_000
DEPOT = "SHA-C"  # two vans; a depot whose day no other browser test commits


def drag(page: Any, source: Any, target: Any) -> None:
    """Drag ``source`` with the mouse and drop it on the left edge of ``target`` (before it)."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 8, start["y"] + start["height"] / 2, steps=4)
    page.mouse.move(end["x"] + 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.move(end["x"] + 1, end["y"] + end["height"] / 2, steps=2)
    page.mouse.up()


def row_of(page: Any, key: str) -> str:
    return page.eval_on_selector(
        f".tl-stop[data-stop-key='{key}']", "node => node.closest('.tl-track').dataset.vehicle"
    )


def test_drag_a_stop_see_the_dry_run_cancel_then_apply(page: Any) -> None:
    sign_in(page, "dispatcher")
    page.goto(f"/dispatch?depot={DEPOT}")
    page.click("#plan-button")
    page.wait_for_selector("#commit-button", timeout=SOLVE_WAIT_MS)  # the draft, once solved
    page.wait_for_selector(".board-stops tbody tr[data-stop-key]")
    heading = page.text_content("#plan-heading")
    vans = page.eval_on_selector_all(".tl-track[data-vehicle]", "nodes => nodes.map(n => n.dataset.vehicle)")
    assert len(vans) == 2  # the depot's two vans
    movable = page.locator(".tl-stop:not(.is-fixed)")
    assert movable.count() > 0
    stop = movable.last
    key = stop.get_attribute("data-stop-key")
    source = row_of(page, key)
    target = next(van for van in vans if van != source)
    first_there = page.locator(f".tl-track[data-vehicle='{target}'] .tl-stop").first
    drop_on = first_there if first_there.count() else page.locator(f".tl-track[data-vehicle='{target}']")

    # Drop it before the other van's first stop: the dry run, in words, before anything changes.
    drag(page, stop, drop_on)
    panel = page.locator("[data-move-panel]")
    expect(panel.locator(".move-verdict .verdict--ok")).to_be_visible()  # feasible
    expect(panel.locator(".move-times")).to_contain_text(target)  # the moved stop's new start there
    assert page.input_value("#move-to") == target
    assert page.input_value("#move-position") == "1"
    assert row_of(page, key) == target  # shown where it was dropped
    check_accessibility(page)
    screenshot(page, "dispatch-move-dry-run")

    # Cancel: the board is as it was.
    page.click("#move-cancel")
    expect(panel).to_have_count(0)
    assert row_of(page, key) == source
    assert page.text_content("#plan-heading") == heading

    # Drag again and apply: a new draft, the stop on the other van.
    drag(page, page.locator(f".tl-stop[data-stop-key='{key}']"), drop_on)
    expect(panel.locator(".move-verdict .verdict--ok")).to_be_visible()
    page.click("#move-apply")
    page.wait_for_function(
        "heading => document.querySelector('#plan-heading').textContent !== heading", arg=heading
    )
    expect(page.locator("#commit-button")).to_be_visible()  # a new draft, to commit
    assert row_of(page, key) == target
    page.wait_for_selector(".board-stops tbody tr[data-stop-key]")
    cells = page.locator(f".board-stops tr[data-stop-key='{key}'] td")
    expect(cells.nth(1)).to_have_text(target)

    # The same by keyboard: the table's "Move", a van and a position, checked before anything changes.
    move = page.locator(f".board-stops tr[data-stop-key='{key}'] a[href*='/move?']")
    move.focus()
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    page.select_option("#move-to", source)
    page.fill("#move-position", "1")
    page.focus("#move-check")
    page.keyboard.press("Enter")
    expect(panel.locator(".move-verdict")).to_be_visible()
    expect(panel.locator(".move-times")).to_contain_text(source)
    page.click("#move-cancel")
    expect(panel).to_have_count(0)

    # Commit the draft, then report a stop arrived from the board.
    page.click("#commit-button")
    expect(page.locator("#commit-button")).to_have_count(0)
    page.wait_for_selector(".board-stops tbody tr[data-stop-key]")
    report = page.locator(f".board-stops tr[data-stop-key='{key}'] a[href*='/event?']")
    report.click()
    form = page.locator(".event-form")
    expect(form).to_be_visible()
    check_accessibility(page)
    page.check("input[name=type][value=arrived]")
    page.click("#event-record")
    row = page.locator(f".board-stops tr[data-stop-key='{key}']")
    expect(row).to_have_attribute("data-progress", "arrived", timeout=15_000)
    expect(row.locator(".badge--info")).to_have_count(1)  # "Arrived", in words
    screenshot(page, "dispatch-stop-reported")
