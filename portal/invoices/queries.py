"""Invoice SQL for the customer's pages. Every statement names the customer."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.statuses import InvoiceStatus
from portal.db import Database, Row
from portal.tables import invoices


async def invoice(db: Database, customer_id: str, invoice_id: str) -> Row | None:
    return await db.fetch_one(
        select(invoices).where(invoices.c.id == invoice_id, invoices.c.customer_id == customer_id)
    )


async def oldest_open(db: Database, customer_id: str) -> str | None:
    """The customer's oldest invoice still to be paid, if any."""
    value = await db.fetch_val(
        select(invoices.c.id)
        .where(invoices.c.customer_id == customer_id, invoices.c.status == InvoiceStatus.OPEN)
        .order_by(invoices.c.created, invoices.c.id)
        .limit(1)
    )
    return str(value) if value else None
