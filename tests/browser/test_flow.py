"""A deep link from the merchant's backend, as a customer follows it: a session created
through the API with `flow_data` (cancel, then back to the merchant) opens on the cancel
step, and confirming ends at the merchant's return URL."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import stripe
from playwright.async_api import Browser, expect

from portal.cli import DEMO_FILE
from tests.browser.conftest import portal_command
from tests.browser.test_overview import serious_violations

GIULIA = "cus_rtUw4iNjUvGf3q"  # the demo's active Italian customer; no other test uses her


def her_subscription() -> str:
    demo = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return str(next(s["id"] for s in demo["subscriptions"] if s["customer"] == GIULIA))


async def test_a_cancel_flow_opens_on_the_cancel_step_and_ends_at_the_return_url(
    browser: Browser, live_server: str, live_env: dict[str, str]
) -> None:
    back = f"{live_server}/static/img/demo-logo.svg?cancelled=1"  # the merchant's page
    key = portal_command(live_env, "api-key", "create").strip()
    client = stripe.StripeClient(key, base_addresses={"api": live_server}, max_network_retries=0)
    params: Any = {
        "customer": GIULIA,
        "locale": "en",
        "flow_data": {
            "type": "subscription_cancel",
            "subscription_cancel": {"subscription": her_subscription()},
            "after_completion": {"type": "redirect", "redirect": {"return_url": back}},
        },
    }
    session = await asyncio.to_thread(client.v1.billing_portal.sessions.create, params)
    assert session.flow is not None and session.flow.type == "subscription_cancel"

    context = await browser.new_context()
    page = await context.new_page()

    await page.goto(session.url)
    await expect(page.locator("#cancel-flow")).to_be_visible()
    assert re.search(r"/p/subscriptions/sub_[^/]+/cancel$", page.url)
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Confirm the cancellation")).to_be_focused()
    await page.get_by_role("button", name=re.compile(r"^Cancel on ")).click()
    await page.wait_for_url(back)
    await context.close()
