"""Getting out of past due as a customer would: add a card through the hosted entry, pay the
open invoice with it, remove the card that failed; with JavaScript and without."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from portal import clock
from tests import factories
from tests.browser.conftest import portal_command
from tests.browser.test_overview import serious_violations

LUKAS = "cus_mcIDrT1ZyZUQsL"  # the demo's past-due customer: his card (0341) has expired


def another_past_due_customer(env: dict[str, str], folder: Path) -> str:
    """One more customer like Lukas, loaded into the running demo (`portal load`)."""
    now = clock.timestamp()
    customer = factories.customer(preferred_locales=["en"])
    card = factories.card(
        customer["id"], card={"brand": "visa", "last4": "0341", "exp_month": 1, "exp_year": 2026}
    )
    customer["invoice_settings"] = {"default_payment_method": card["id"]}
    subscription = factories.subscription(
        customer["id"], "price_starter_monthly_eur", status="past_due"
    )
    due = factories.invoice(
        customer["id"],
        1800,
        subscription_id=subscription["id"],
        status="open",
        amount_paid=0,
        status_transitions={},
        created=now - 86400,
    )
    path = folder / "past_due.json"
    path.write_text(
        json.dumps(
            {
                "customers": [customer],
                "payment_methods": [card],
                "subscriptions": [subscription],
                "invoices": [due],
            }
        )
    )
    portal_command(env, "load", str(path))
    return str(customer["id"])


@pytest.mark.parametrize("javascript", [True, False])
async def test_add_a_card_pay_what_is_due_and_remove_the_old_card(
    browser: Browser,
    live_server: str,
    live_env: dict[str, str],
    tmp_path: Path,
    javascript: bool,
) -> None:
    customer = LUKAS if javascript else another_past_due_customer(live_env, tmp_path)
    url = portal_command(live_env, "session", "create", customer, "--locale", "en")
    context = await browser.new_context(java_script_enabled=javascript)
    page = await context.new_page()
    await page.goto(url)
    await expect(page.locator("#subscriptions")).to_contain_text("Past due")
    await page.get_by_role("link", name="Manage payment methods").click()
    await page.get_by_role("button", name="Add a card").click()

    # The processor's hosted card entry (the test processor's page).
    await expect(page.get_by_role("heading", name="Test card entry")).to_be_visible()
    await page.get_by_label("Card number").fill("4242 4242 4242 4242")
    await page.get_by_label("Expiry date (MM/YY)").fill("12/34")
    await page.get_by_label("Security code").fill("123")
    await page.get_by_role("button", name="Save card").click()

    # Back in the portal: the new card is offered for the open invoice.
    await expect(page.get_by_role("status")).to_contain_text("You can pay your open invoice")
    await expect(page.get_by_label("Visa ending in 4242")).to_be_checked()
    if javascript:
        assert await serious_violations(page) == []
    await page.get_by_role("button", name="Pay €18.00").click()
    await expect(page.get_by_role("status")).to_contain_text("your payment went through")
    await expect(page.locator("#subscriptions .badge").first).to_have_text("Active")

    await page.get_by_role("link", name="Manage payment methods").click()
    old = page.locator(".method", has_text="ending in 0341")
    await old.get_by_role("button", name="Remove").click()
    await expect(page.get_by_role("status")).to_contain_text("The payment method has been removed")
    await expect(page.locator(".method")).to_have_count(1)
    await expect(page.locator(".method")).to_contain_text("Visa ending in 4242")
    if javascript:
        assert await serious_violations(page) == []
    await context.close()
