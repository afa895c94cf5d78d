"""Replenishment in a real browser: a policy set through the form, the depot's suggestion for it read
with its reasons and accepted into a transfer (the button once; the page after it says so), in English
and in Chinese; axe on both screens, screenshots of both."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import check_accessibility, screenshot, sign_in

DEPOT, SOURCE, PART = "TSN-F", "PEK-C", "BAT-CR2032"
"""A bulk part the Tianjin forward location does not keep and its supplier, Beijing, has plenty of: the
test's own policy, no other test's stock."""


def test_a_policy_set_makes_a_suggestion_that_is_accepted_into_a_transfer(page: Any) -> None:
    sign_in(page, "warehouse")
    page.locator("form[action='/language'] button").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(f"/replenishment/policies?depot={DEPOT}")
    check_accessibility(page)
    page.fill("#field-part_number", PART)
    page.select_option("#field-kind", "min_max")
    page.fill("#field-reorder_level", "10")
    page.fill("#field-target_level", "30")
    page.get_by_role("button", name="Save the policy").click()
    page.wait_for_url(f"**/replenishment/policies?depot={DEPOT}&saved={PART}")
    assert f"The policy of {PART} is saved." in page.locator("[role=status]").inner_text()
    screenshot(page, "replenishment-policies")

    page.get_by_role("link", name=f"Suggestions for {DEPOT}").click()
    row = page.locator(f"#suggestion-{PART}")
    reasons = row.inner_text()
    assert f"Transfer from the supplying depot ({SOURCE})" in reasons
    assert "30 units" in reasons
    assert "order below 10, up to 30" in reasons
    check_accessibility(page)
    screenshot(page, "replenishment-suggestions")

    row.get_by_role("button", name=f"Accept: 30 × {PART}").click()
    page.wait_for_url("**/replenishment?depot=*&accepted=*")
    status = page.locator("[role=status]").inner_text()
    assert "is on its way" in status
    assert page.locator(f"#suggestion-{PART}").count() == 0
    page.get_by_role("link", name="Open the transfer").click()
    page.wait_for_url("**/transfers/*")
    assert SOURCE in page.locator("main").inner_text()

    page.goto(f"/replenishment?depot={DEPOT}")
    page.locator("form[action='/language'] button").click()
    page.wait_for_load_state("load")
    assert "补货" in page.locator("h1").inner_text()
    assert f"{DEPOT} 由 {SOURCE} 供货" in page.locator("#supply-route").inner_text()
