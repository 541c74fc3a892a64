"""What is announced is what is billed: the preview, the overview and the billing clock agree."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient
from sqlalchemy import select

from portal import clock, i18n
from portal.billing import money, renewals
from portal.db import Database
from portal.payments.processor import TestProcessor
from portal.tables import invoice_items, invoice_lines, invoices
from tests.conftest import html
from tests.shop import Shop
from tests.subscriptions.helpers import (
    amounts,
    confirm,
    new_invoices,
    preview,
    subscription_row,
)

WELCOME = {
    "id": "WELCOME",
    "percent_off": 20,
    "duration": "repeating",
    "duration_in_months": 3,
    "created": 1,
}
WELCOME20 = {"id": "promo_welcome20", "code": "WELCOME20", "coupon": "WELCOME", "created": 1}
DOWNGRADES_WAIT = {
    "schedule_at_period_end": {
        "conditions": [{"type": "decreasing_item_amount"}, {"type": "shortening_interval"}]
    }
}


async def announced(client: AsyncClient, sub_id: str) -> tuple[int, int, str] | None:
    """(amount, date, words) of the next invoice the overview announces, or None."""
    page = html(await client.get("/p/"))
    article = page.css_first(f"article[aria-labelledby='{sub_id}-name']")
    assert article is not None
    shown = article.css_first(".next-invoice")
    if shown is None:
        return None
    return (
        int(str(shown.attributes["data-amount"])),
        int(str(shown.attributes["data-date"])),
        shown.text().strip(),
    )


async def renew_at_period_end(db: Database, sub_id: str) -> dict[str, Any]:
    row = await subscription_row(db, sub_id)
    clock.freeze(row["current_period_end"] + 60)
    await renewals.run_due(db, TestProcessor(db))
    return await subscription_row(db, sub_id)


async def cycle_invoice(db: Database, sub_id: str, period_start: int) -> dict[str, Any] | None:
    return await db.fetch_one(
        select(invoices).where(
            invoices.c.subscription_id == sub_id,
            invoices.c.billing_reason == "subscription_cycle",
            invoices.c.period_start == period_start,
        )
    )


async def test_a_scheduled_downgrade_with_a_discount(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    """Team x3 with WELCOME20 schedules a downgrade: the preview, the overview and the
    invoice written at the period end are one amount."""
    data = await shop.customer(
        plan="pro_month",
        quantity=3,
        update=DOWNGRADES_WAIT,
        coupons=[WELCOME],
        promotion_codes=[WELCOME20],
    )
    sub = data["subscription"]
    await confirm(
        client, await preview(client, sub, shop.prices["pro_month"]["id"], 3, "WELCOME20")
    )
    shown = await preview(client, sub, shop.prices["basic_month"]["id"])
    assert "will change to Basic" in html(shown).css_first("#preview").text()
    _, next_amount = amounts(shown)
    assert next_amount == 800  # Basic, 20 % off: the discount still runs then
    assert (await confirm(client, shown)).status_code == 303
    amount, date, _ = await announced(client, sub["id"]) or (0, 0, "")
    assert (amount, date) == (next_amount, sub["current_period_end"])
    await renew_at_period_end(db, sub["id"])
    invoice = await cycle_invoice(db, sub["id"], date)
    assert invoice is not None and invoice["amount_due"] == next_amount


async def test_a_discount_that_ends_before_the_next_invoice_is_not_announced(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    one_month = {**WELCOME, "duration_in_months": 1}
    data = await shop.customer(
        plan="pro_month", coupons=[one_month], promotion_codes=[WELCOME20], later=0
    )
    sub = data["subscription"]
    # The code is applied 10 days into the period; it lasts one month, so it still covers
    # the next invoice (20 days on), not the one after.
    shown = await preview(client, sub, shop.prices["pro_month"]["id"], 1, "WELCOME20")
    await confirm(client, shown)
    assert (await announced(client, sub["id"]) or (0,))[0] == 2400
    row = await renew_at_period_end(db, sub["id"])
    assert (await cycle_invoice(db, sub["id"], sub["current_period_end"]) or {})[
        "amount_due"
    ] == 2400
    await shop.sign_in_again(data)
    amount, date, _ = await announced(client, sub["id"]) or (0, 0, "")
    assert (amount, date) == (3000, row["current_period_end"])
    await renew_at_period_end(db, sub["id"])
    assert (await cycle_invoice(db, sub["id"], date) or {})["amount_due"] == 3000


async def test_an_ending_subscription_bills_the_adjustments_it_announced(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(subscription={"cancel_at_period_end": True})
    sub = data["subscription"]
    shown = await preview(client, sub, shop.prices["pro_month"]["id"])
    due_today, final = amounts(shown)
    assert (due_today, final) == (0, 3000 * 2 // 3 - 667)  # no renewal: the adjustments only
    assert "Final invoice" in html(shown).css_first("#preview .next-invoice").text()
    await confirm(client, shown)
    amount, date, words = await announced(client, sub["id"]) or (0, 0, "")
    assert (amount, date) == (final, sub["current_period_end"]) and "Final invoice" in words
    row = await renew_at_period_end(db, sub["id"])
    assert row["status"] == "canceled"
    invoice = await cycle_invoice(db, sub["id"], date)
    assert invoice is not None and (invoice["amount_due"], invoice["status"]) == (final, "paid")


async def test_an_ending_subscription_with_nothing_waiting_announces_no_invoice(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(subscription={"cancel_at_period_end": True})
    sub = data["subscription"]
    assert await announced(client, sub["id"]) is None
    await renew_at_period_end(db, sub["id"])
    assert await new_invoices(db, sub["id"]) == []


async def test_lines_store_what_they_are_and_are_worded_by_the_reader(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(update={"proration_behavior": "always_invoice"})
    sub = data["subscription"]
    shown = await preview(client, sub, shop.prices["pro_month"]["id"], locale="fr")
    words = html(shown).css_first("#preview .lines").text()
    assert "Temps non utilisé sur 1 × Basic" in words and "Temps restant sur 1 × Pro" in words
    await confirm(client, shown)
    [invoice] = await new_invoices(db, sub["id"])
    lines = await db.fetch_all(
        select(invoice_lines)
        .where(invoice_lines.c.invoice_id == invoice["id"])
        .order_by(invoice_lines.c.position)
    )
    assert [(line["kind"], line["description"]) for line in lines] == [
        ("unused_time", None),
        ("remaining_time", None),
    ]
    # Adjustments waiting for the next invoice, and the renewal itself, store no words either.
    other = await shop.customer()
    await confirm(
        client,
        await preview(client, other["subscription"], shop.prices["pro_month"]["id"], locale="de"),
    )
    waiting = await db.fetch_all(
        select(invoice_items).where(invoice_items.c.subscription_id == other["subscription"]["id"])
    )
    assert {(row["kind"], row["description"]) for row in waiting} == {
        ("unused_time", None),
        ("remaining_time", None),
    }
    await renew_at_period_end(db, other["subscription"]["id"])
    renewal = await cycle_invoice(
        db, other["subscription"]["id"], other["subscription"]["current_period_end"]
    )
    assert renewal is not None
    stored = await db.fetch_all(
        select(invoice_lines.c.kind, invoice_lines.c.description)
        .where(invoice_lines.c.invoice_id == renewal["id"])
        .order_by(invoice_lines.c.position)
    )
    assert [(r["kind"], r["description"]) for r in stored] == [
        ("period", None),
        ("unused_time", None),
        ("remaining_time", None),
    ]


async def test_the_discount_is_named_with_its_terms(shop: Shop, client: AsyncClient) -> None:
    data = await shop.customer(plan="pro_month", coupons=[WELCOME], promotion_codes=[WELCOME20])
    sub = data["subscription"]
    await confirm(
        client, await preview(client, sub, shop.prices["pro_month"]["id"], 1, "WELCOME20")
    )
    until = i18n.date(money.add_interval(clock.timestamp(), "month", 3), "long")
    terms = html(await client.get("/p/")).css_first(".discount").text()
    assert terms == f"WELCOME20: 20% off for 3 months, until {until}"
    french = html(await client.get("/p/", params={"locale": "fr"})).css_first(".discount")
    assert french.text().startswith("WELCOME20\xa0: 20\xa0% de remise pendant 3 mois, jusqu")
