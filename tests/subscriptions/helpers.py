"""Reading the plan picker and its preview as a browser would."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import select

from portal.db import Database
from portal.tables import (
    coupons,
    customers,
    discounts,
    events,
    invoice_items,
    invoice_lines,
    invoices,
    promotion_codes,
    subscription_items,
    subscriptions,
)
from tests.conftest import html


def update_url(sub: dict[str, Any]) -> str:
    return f"/p/subscriptions/{sub['id']}/update"


async def preview(
    client: AsyncClient,
    sub: dict[str, Any],
    price_id: str,
    quantity: int = 1,
    code: str = "",
    locale: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    params = {"price": price_id, "quantity": str(quantity), "promotion_code": code}
    if locale:
        params["locale"] = locale
    return await client.get(update_url(sub), params=params, headers=headers)


def amounts(response: Response) -> tuple[int, int]:
    """(due today, next invoice) as the preview shows them."""
    page = html(response)
    today = page.css_first("#preview [data-amount]")
    following = page.css_first("#preview .next-invoice")
    assert today is not None and following is not None, response.text
    return int(str(today.attributes["data-amount"])), int(str(following.attributes["data-amount"]))


async def confirm(client: AsyncClient, preview_response: Response) -> Response:
    """Submit the preview's own confirm form, exactly as shown."""
    form = html(preview_response).css_first("#preview form")
    assert form is not None, preview_response.text
    data = {
        str(i.attributes["name"]): i.attributes.get("value") or ""
        for i in form.css("input[type=hidden]")
    }
    return await client.post(str(form.attributes["action"]), data=data)


async def subscription_row(db: Database, sub_id: str) -> dict[str, Any]:
    row = await db.fetch_one(select(subscriptions).where(subscriptions.c.id == sub_id))
    assert row is not None
    return row


async def item_row(db: Database, sub_id: str) -> dict[str, Any]:
    row = await db.fetch_one(
        select(subscription_items).where(subscription_items.c.subscription_id == sub_id)
    )
    assert row is not None
    return row


async def new_invoices(db: Database, sub_id: str) -> list[dict[str, Any]]:
    return await db.fetch_all(
        select(invoices)
        .where(
            invoices.c.subscription_id == sub_id,
            invoices.c.billing_reason.in_(["subscription_update", "subscription_cycle"]),
        )
        .order_by(invoices.c.created, invoices.c.id)
    )


async def lines_of(db: Database, invoice_id: str) -> list[dict[str, Any]]:
    return await db.fetch_all(
        select(invoice_lines)
        .where(invoice_lines.c.invoice_id == invoice_id)
        .order_by(invoice_lines.c.position)
    )


async def ledger(db: Database, customer_id: str) -> dict[str, Any]:
    """Everything billing keeps about a customer (the subscription's version aside)."""
    subs = await db.fetch_all(
        select(subscriptions)
        .where(subscriptions.c.customer_id == customer_id)
        .order_by(subscriptions.c.id)
    )
    sub_ids = [row["id"] for row in subs]
    bills = await db.fetch_all(
        select(invoices).where(invoices.c.customer_id == customer_id).order_by(invoices.c.id)
    )
    return {
        "subscriptions": [{k: v for k, v in row.items() if k != "version"} for row in subs],
        "items": await db.fetch_all(
            select(subscription_items)
            .where(subscription_items.c.subscription_id.in_(sub_ids))
            .order_by(subscription_items.c.id)
        ),
        "invoices": bills,
        "lines": await db.fetch_all(
            select(invoice_lines)
            .where(invoice_lines.c.invoice_id.in_([b["id"] for b in bills]))
            .order_by(invoice_lines.c.id)
        ),
        "pending": await db.fetch_all(
            select(invoice_items)
            .where(invoice_items.c.customer_id == customer_id)
            .order_by(invoice_items.c.id)
        ),
        "discounts": await db.fetch_all(
            select(discounts).where(discounts.c.customer_id == customer_id).order_by(discounts.c.id)
        ),
        "balance": await db.fetch_val(
            select(customers.c.balance).where(customers.c.id == customer_id)
        ),
        "redemptions": (
            await db.fetch_all(select(promotion_codes.c.times_redeemed)),
            await db.fetch_all(select(coupons.c.times_redeemed)),
        ),
        "events": await db.fetch_all(select(events.c.type).order_by(events.c.id)),
    }
