"""Cancelling as a customer would: with htmx swapping the steps, and without JavaScript."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import portal_command
from tests.browser.test_overview import serious_violations

# Monthly plans, where the demo's retention coupon (25% off for 3 months) lowers invoices.
DECLINES = "cus_Vfh9zdScdPorvi"  # Emily Carter: the test leaves her plan as it found it
ACCEPTS = "cus_XAQP0YeFVv5AnX"  # Priya Nair's Business plan; no other test uses her


async def _heading_is_focused(page: Page, name: str) -> None:
    await expect(page.get_by_role("heading", name=name)).to_be_focused()


async def test_cancel_at_period_end_with_a_reason_decline_the_offer_then_undo(
    browser: Browser, live_server: str, live_env: dict[str, str]
) -> None:
    url = portal_command(live_env, "session", "create", DECLINES, "--locale", "en")
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(url)
    await page.get_by_role("link", name="Cancel subscription").click()
    await expect(page.locator("#cancel-flow")).to_contain_text("You can use it until")
    assert await serious_violations(page) == []

    await page.get_by_label("It is too expensive").check()
    await page.get_by_role("button", name="Continue").click()
    # htmx swapped the next step in: its heading has the focus, the address follows.
    await _heading_is_focused(page, "Before you go: an offer to stay")
    await expect(page.locator(".offer")).to_contain_text("25% off your next")
    assert "step=offer" in page.url
    assert await serious_violations(page) == []

    await page.get_by_role("button", name="No thanks, continue cancelling").click()
    await _heading_is_focused(page, "Confirm the cancellation")
    await expect(page.locator("#cancel-flow")).to_contain_text("It is too expensive")
    await page.get_by_role("button", name=re.compile(r"^Cancel on ")).click()

    await expect(page.get_by_role("status")).to_contain_text("will end at the end")
    ends = page.locator(".ends-on")
    await expect(ends).to_contain_text("Ends on")
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Don't cancel").click()
    await expect(page.get_by_role("status")).to_contain_text("Your subscription will continue")
    await expect(ends).to_have_count(0)
    await expect(page.get_by_role("link", name="Cancel subscription")).to_be_visible()
    await context.close()


async def test_accept_the_retention_offer_without_javascript(
    browser: Browser, live_server: str, live_env: dict[str, str]
) -> None:
    url = portal_command(live_env, "session", "create", ACCEPTS, "--locale", "en")
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(url)
    business = page.locator("article", has_text="Business")
    await business.get_by_role("link", name="Cancel subscription").click()
    await page.get_by_role("button", name="Continue").click()  # no reason given: skipped
    await expect(
        page.get_by_role("heading", name="Before you go: an offer to stay")
    ).to_be_visible()
    offer = page.locator(".offer")
    amount = await offer.get_attribute("data-amount")
    full = await offer.get_attribute("data-full")
    assert amount is not None and full is not None and int(amount) < int(full)
    await page.get_by_role("button", name="Accept the offer and stay").click()

    await expect(page.get_by_role("status")).to_contain_text("The discount has been applied")
    await expect(business.locator(".discount")).to_contain_text("25% off")
    await expect(business.locator(".next-invoice")).to_have_attribute("data-amount", amount)
    await expect(page.locator(".ends-on")).to_have_count(0)
    # The offer is made once: cancelling again goes straight to the confirmation.
    await business.get_by_role("link", name="Cancel subscription").click()
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Confirm the cancellation")).to_be_visible()
    await context.close()
