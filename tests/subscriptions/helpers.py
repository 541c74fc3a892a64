"""Reading the plan picker and its preview as a browser would."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import select

from portal.db import Database
from portal.tables import invoice_lines, invoices, subscription_items, subscriptions
from tests.conftest import html


def update_url(sub: dict[str, Any]) -> str:
    return f"/p/subscriptions/{sub['id']}/update"


async def preview(client: AsyncClient, sub: dict[str, Any], price_id: str, quantity: int = 1,
                  code: str = "", **headers: str) -> Response:
    return await client.get(update_url(sub), params={
        "price": price_id, "quantity": str(quantity), "promotion_code": code}, headers=headers)


def amounts(response: Response) -> tuple[int, int]:
    """(due today, next invoice) as the preview shows them."""
    page = html(response)
    today = page.css_first("#preview [data-amount]")
    following = page.css_first("#preview .next-invoice")
    assert today is not None and following is not None, response.text
    return int(today.attributes["data-amount"]), int(following.attributes["data-amount"])


async def confirm(client: AsyncClient, preview_response: Response) -> Response:
    """Submit the preview's own confirm form, exactly as shown."""
    form = html(preview_response).css_first("#preview form")
    assert form is not None, preview_response.text
    data = {i.attributes["name"]: i.attributes.get("value") or ""
            for i in form.css("input[type=hidden]")}
    return await client.post(form.attributes["action"], data=data)


async def subscription_row(db: Database, sub_id: str) -> dict[str, Any]:
    row = await db.fetch_one(select(subscriptions).where(subscriptions.c.id == sub_id))
    assert row is not None
    return row


async def item_row(db: Database, sub_id: str) -> dict[str, Any]:
    row = await db.fetch_one(select(subscription_items)
                             .where(subscription_items.c.subscription_id == sub_id))
    assert row is not None
    return row


async def new_invoices(db: Database, sub_id: str) -> list[dict[str, Any]]:
    return await db.fetch_all(select(invoices).where(
        invoices.c.subscription_id == sub_id,
        invoices.c.billing_reason.in_(["subscription_update", "subscription_cycle"]))
        .order_by(invoices.c.created, invoices.c.id))


async def lines_of(db: Database, invoice_id: str) -> list[dict[str, Any]]:
    return await db.fetch_all(select(invoice_lines).where(invoice_lines.c.invoice_id == invoice_id)
                              .order_by(invoice_lines.c.position))
