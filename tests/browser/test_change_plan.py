"""Changing plan as a customer would: monthly to yearly, with a promotion code."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from tests.browser.conftest import portal_command
from tests.browser.test_overview import serious_violations

CUSTOMER = "cus_NSA2SEhA5BR1Y7"  # the demo's Team customer with five seats, paying monthly


async def test_monthly_to_yearly_with_a_promotion_code(browser: Browser, live_server: str,
                                                       live_env: dict[str, str]) -> None:
    url = portal_command(live_env, "session", "create", CUSTOMER, "--locale", "en")
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(url)
    await expect(page.locator("#subscriptions h3")).to_have_text("Team")
    await page.get_by_role("link", name="Change plan").click()

    await page.get_by_role("button", name="Yearly").click()
    await page.get_by_role("radio", name=re.compile(r"^Team .*per year")).check()
    preview = page.locator("#preview")
    await expect(preview.locator("form button")).to_be_visible()  # htmx swapped the preview in
    without_code = await preview.locator("[data-amount]").first.get_attribute("data-amount")

    await page.get_by_label("Promotion code").fill("WELCOME20")
    await page.get_by_label("Promotion code").press("Tab")
    await expect(preview).to_contain_text("Discount")
    due = await preview.locator("[data-amount]").first.get_attribute("data-amount")
    assert due is not None and without_code is not None and int(due) < int(without_code)
    assert await serious_violations(page) == []
    button = preview.get_by_role("button", name=re.compile("Pay"))
    label = await button.inner_text()
    await button.click()

    await expect(page.get_by_role("status")).to_contain_text("Your plan has been changed")
    await expect(page.locator("#subscriptions .items")).to_contain_text("per year")
    paid = page.locator("#invoices tbody tr").first
    await expect(paid).to_contain_text("Paid")
    amount = re.search(r"\$[\d,]+\.\d\d", label)
    assert amount is not None
    await expect(paid).to_contain_text(amount.group(0))
    await context.close()
