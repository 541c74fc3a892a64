"""Changing plan as a customer would: monthly to yearly, with a promotion code."""

from __future__ import annotations

import re

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import portal_command
from tests.browser.test_overview import serious_violations

CUSTOMER = "cus_NSA2SEhA5BR1Y7"  # the demo's Team customer with five seats, paying monthly


async def test_monthly_to_yearly_with_a_promotion_code(
    browser: Browser, live_server: str, live_env: dict[str, str]
) -> None:
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


async def _change_plan_page(
    browser: Browser, live_env: dict[str, str], *, javascript: bool = True
) -> tuple[BrowserContext, Page]:
    url = portal_command(live_env, "session", "create", CUSTOMER, "--locale", "en")
    context = await browser.new_context(java_script_enabled=javascript)
    page = await context.new_page()
    await page.goto(url)
    await page.get_by_role("link", name="Change plan").click()
    return context, page


async def test_the_preview_never_outlives_the_form(
    browser: Browser, live_server: str, live_env: dict[str, str]
) -> None:
    context, page = await _change_plan_page(browser, live_env)
    preview = page.locator("#preview")
    # Only Team's quantity can change, so only Team has a quantity field.
    await expect(page.locator("input.quantity-input")).to_have_count(1)
    quantity = page.get_by_label("Quantity of Team")
    await quantity.fill("7")
    await expect(preview.get_by_role("button")).to_be_enabled()
    await expect(preview).to_contain_text("7 × Team")
    # While a new preview is on its way, the old one cannot be confirmed.
    await quantity.fill("8")
    await expect(preview.get_by_role("button")).to_be_disabled()
    await expect(preview).to_contain_text("8 × Team")
    await expect(preview.get_by_role("button")).to_be_enabled()
    # An entry out of range says why at once, and leaves nothing to confirm.
    await quantity.fill("999")
    await expect(preview.get_by_role("alert")).to_contain_text("from 1 to 50")
    await expect(preview.get_by_role("button")).to_have_count(0)
    await context.close()


async def test_the_billing_period_toggle_keeps_the_choices(
    browser: Browser, live_server: str, live_env: dict[str, str]
) -> None:
    for javascript in (True, False):
        context, page = await _change_plan_page(browser, live_env, javascript=javascript)
        await page.get_by_label("Quantity of Team").fill("7")
        await page.get_by_label("Promotion code").fill("WELCOME20")
        await page.get_by_role("button", name="Yearly").click()
        await expect(page.get_by_role("button", name="Yearly")).to_have_attribute(
            "aria-pressed", "true"
        )
        await expect(page.get_by_label("Quantity of Team")).to_have_value("7")
        await expect(page.get_by_label("Promotion code")).to_have_value("WELCOME20")
        await expect(page).to_have_url(re.compile(r"[?&]interval=year"))
        await context.close()
