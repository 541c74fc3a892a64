"""Signing in as a customer would: login link, code from the email, overview."""

from __future__ import annotations

import asyncio
import json
import re

from playwright.async_api import Browser, expect

from portal.cli import DEMO_FILE
from tests.browser.test_overview import serious_violations
from tests.conftest import SmtpServer


def demo_customer(customer_id: str) -> dict[str, str]:
    data = json.loads(DEMO_FILE.read_text())
    customer: dict[str, str] = next(c for c in data["customers"] if c["id"] == customer_id)
    return customer


async def code_for(smtp: SmtpServer, address: str) -> str:
    for _ in range(100):
        for message in reversed(smtp.inbox.messages):
            if message["To"].casefold() == address.casefold():
                body = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
                match = re.search(r"^[ \t]+(\d{6})\s*$", body, re.M)
                assert match
                return match.group(1)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no mail to {address}")


async def test_sign_in_with_the_code_from_the_email(
    browser: Browser, live_server: str, live_smtp: SmtpServer
) -> None:
    customer = demo_customer("cus_Vfh9zdScdPorvi")
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(f"{live_server}/p/login/demo")
    await page.get_by_label("Email address").fill(customer["email"].upper())
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert await serious_violations(page) == []

    await page.get_by_label("Code").fill(await code_for(live_smtp, customer["email"]))
    await page.get_by_role("button", name="Sign in").click()

    await expect(page).to_have_url(f"{live_server}/p/")
    await expect(page.locator("#billing-details")).to_contain_text(customer["name"])
    await expect(page.locator("#subscriptions h3")).to_have_count(1)
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    await context.close()
