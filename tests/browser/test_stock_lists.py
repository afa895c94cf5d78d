"""The warehouse's lists in a real browser: a batch recall from the units list (the filter form answered
by htmx in place, the address kept for the back button), to a recalled unit's timeline; axe on each list."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import check_accessibility, screenshot, sign_in

SETTLED = "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"


def cells(page: Any, column: int) -> list[str]:
    """The text of one column of the results table, row by row."""
    return [
        text.strip()
        for text in page.locator(f"#unit-results tbody tr td:nth-child({column})").all_inner_texts()
    ]


def test_a_batch_recall_from_the_units_list(page: Any) -> None:
    sign_in(page, "warehouse")
    page.goto("/stock/units")
    batch = cells(page, 4)[0]
    page.fill("#field-batch", batch)
    page.click("form.filters button[type=submit]")
    page.wait_for_function(
        "batch => document.querySelector('#unit-results caption').textContent.includes(batch)", arg=batch
    )
    page.wait_for_function(SETTLED)
    assert f"batch={batch}" in page.url
    assert set(cells(page, 4)) == {batch}
    assert all(place for place in cells(page, 6))
    check_accessibility(page)
    screenshot(page, "stock-lists-recall")
    serial = cells(page, 1)[0]
    page.click("#unit-results tbody tr:first-child td:first-child a")
    page.wait_for_url(f"**/stock/units/{serial}?**")
    assert batch in page.inner_text("main")


def test_the_other_lists_are_accessible(page: Any) -> None:
    sign_in(page, "warehouse")
    for path in ("/stock/batches", "/stock/movements", "/receipts"):
        page.goto(path)
        assert page.locator(".data-table tbody tr").count() > 0
        check_accessibility(page)
