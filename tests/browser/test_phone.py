"""A 390 px phone: every amount is shown, inside the screen, on the overview and the
change-plan preview."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.browser.conftest import portal_command

CUSTOMER = "cus_Vfh9zdScdPorvi"  # Starter, paying monthly; no other test changes the plan

PHONE: ViewportSize = {"width": 390, "height": 844}

AMOUNTS = """() => [...document.querySelectorAll('[data-amount], .amount')].map((e) => {
  const box = e.getBoundingClientRect();
  const style = getComputedStyle(e);
  return {text: e.textContent.trim(), width: box.width, height: box.height, left: box.left,
          right: box.right, hidden: style.display === 'none' || style.visibility === 'hidden'};
})"""


async def hidden_amounts(page: Page) -> list[dict[str, Any]]:
    width = await page.evaluate("window.innerWidth")
    boxes: list[dict[str, Any]] = await page.evaluate(AMOUNTS)
    assert boxes, "no amounts on the page"
    return [
        box
        for box in boxes
        if box["hidden"]
        or box["width"] <= 0
        or box["height"] <= 0
        or box["left"] < 0
        or box["right"] > width
    ]


async def test_amounts_are_shown_on_a_phone(
    browser: Browser, live_server: str, live_env: dict[str, str], demo_urls: dict[str, str]
) -> None:
    context = await browser.new_context(viewport=PHONE, locale="en-US")
    page = await context.new_page()
    await page.goto(demo_urls["overview"])
    await expect(page.locator("#invoices tbody tr").first).to_be_visible()
    assert await hidden_amounts(page) == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    await page.goto(portal_command(live_env, "session", "create", CUSTOMER, "--locale", "en"))
    assert await hidden_amounts(page) == []
    await page.get_by_role("link", name="Change plan").click()
    await page.get_by_role("button", name="Yearly").click()
    await page.get_by_role("radio", name=re.compile(r"^Team .*per year")).check()
    await expect(page.locator("#preview form button")).to_be_visible()
    assert await page.locator("#preview .lines td.amount").count() >= 1
    assert await hidden_amounts(page) == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await context.close()
