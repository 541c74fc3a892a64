"""Switching language on the change-plan page keeps what the customer chose there, and the
address bar, the title and <html lang> follow — with htmx, and without JavaScript."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import portal_command

CUSTOMER = "cus_9109W302kPkDl2"  # on a Team trial, monthly; no other test changes the plan
TEAM_YEARLY = "price_team_yearly_usd"


async def choose(page: Page, *, javascript: bool) -> str:
    """Yearly, Team, 3 seats, WELCOME20; returns the preview's amount due today."""
    await page.get_by_role("link", name="Change plan").click()
    await page.get_by_role("button", name="Yearly").click()
    await page.get_by_role("radio", name=re.compile(r"^Team .*per year")).check()
    await page.get_by_label("Quantity of Team").fill("3")
    await page.get_by_label("Promotion code").fill("WELCOME20")
    if javascript:
        await page.get_by_label("Promotion code").press("Tab")
    else:
        await page.get_by_role("button", name="Preview the change").click()
    preview = page.locator("#preview")
    await expect(preview).to_contain_text("Discount")
    await expect(preview.locator("form button")).to_contain_text("$")
    amount = await preview.locator("[data-amount]").first.get_attribute("data-amount")
    assert amount is not None
    return amount


async def assert_kept(page: Page, amount: str) -> None:
    """French now, with the same choices and the same preview."""
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page).to_have_title(re.compile(r"^\w+ de forfait · "))
    query = parse_qs(urlsplit(page.url).query)
    assert query["locale"] == ["fr"], page.url
    assert query["price"] == [TEAM_YEARLY], page.url
    assert query["quantity_prod_team"] == ["3"], page.url
    assert query["promotion_code"] == ["WELCOME20"], page.url
    assert all(len(values) == 1 for values in query.values()), page.url
    await expect(page.locator(f"input[type=radio][value={TEAM_YEARLY}]")).to_be_checked()
    await expect(page.locator("#quantity-prod_team")).to_have_value("3")
    await expect(page.locator("#promotion_code")).to_have_value("WELCOME20")
    await expect(page.locator("#preview [data-amount]").first).to_have_attribute(
        "data-amount", amount
    )
    await expect(page.locator("#preview form button")).to_contain_text("Payer")


async def test_switching_language_keeps_the_choices(
    browser: Browser, live_server: str, live_env: dict[str, str]
) -> None:
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(portal_command(live_env, "session", "create", CUSTOMER, "--locale", "en"))
    amount = await choose(page, javascript=True)
    await page.evaluate("window.notReloaded = true")

    await page.get_by_role("link", name="Français").click()

    await assert_kept(page, amount)
    assert await page.evaluate("window.notReloaded") is True, "the page was reloaded"
    assert parse_qs(urlsplit(page.url).query)["interval"] == ["year"]  # the link's own
    # The address bar reloads the same page, still in French with the same choices.
    await page.reload()
    await assert_kept(page, amount)
    await context.close()


async def test_switching_language_without_javascript(
    browser: Browser, live_server: str, live_env: dict[str, str]
) -> None:
    context = await browser.new_context(locale="en-US", java_script_enabled=False)
    page = await context.new_page()
    await page.goto(portal_command(live_env, "session", "create", CUSTOMER, "--locale", "en"))
    amount = await choose(page, javascript=False)
    await page.get_by_role("link", name="Français").click()
    await assert_kept(page, amount)
    await context.close()
