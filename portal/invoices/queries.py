"""Invoice SQL for the customer's pages. Every statement names the customer."""

from __future__ import annotations

from sqlalchemy import and_, or_, select

from portal.core.statuses import InvoiceStatus
from portal.db import Database, Row
from portal.tables import invoice_lines, invoices, payment_methods, prices, products


async def invoice(db: Database, customer_id: str, invoice_id: str) -> Row | None:
    return await db.fetch_one(
        select(invoices).where(invoices.c.id == invoice_id, invoices.c.customer_id == customer_id)
    )


async def invoice_with_card(db: Database, customer_id: str, invoice_id: str) -> Row | None:
    """The invoice, with the brand and last digits of the card that paid it (NULL if none
    is known): `card_brand`, `card_last4`."""
    return await db.fetch_one(
        select(
            invoices,
            payment_methods.c.brand.label("card_brand"),
            payment_methods.c.last4.label("card_last4"),
        )
        .outerjoin(
            payment_methods,
            and_(
                payment_methods.c.id == invoices.c.payment_method_id,
                payment_methods.c.customer_id == invoices.c.customer_id,
            ),
        )
        .where(invoices.c.id == invoice_id, invoices.c.customer_id == customer_id)
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


PAGE_COLUMNS = (
    invoices.c.id,
    invoices.c.number,
    invoices.c.status,
    invoices.c.currency,
    invoices.c.total,
    invoices.c.amount_due,
    invoices.c.created,
    invoices.c.last_decline_code,
)


async def page(
    db: Database, customer_id: str, status: str | None, after: str | None, limit: int
) -> list[Row]:
    """Up to `limit` of the customer's invoices, newest first, after the invoice `after` (a
    cursor: the same cost for the first page and the five hundredth, on the customer's
    (created, id) index). Drafts are never listed."""
    query = select(*PAGE_COLUMNS).where(
        invoices.c.customer_id == customer_id, invoices.c.status != InvoiceStatus.DRAFT
    )
    if status is not None:
        query = query.where(invoices.c.status == status)
    if after is not None:
        cursor = await db.fetch_one(
            select(invoices.c.created, invoices.c.id).where(
                invoices.c.id == after, invoices.c.customer_id == customer_id
            )
        )
        if cursor is None:
            return []
        query = query.where(
            or_(
                invoices.c.created < cursor["created"],
                and_(invoices.c.created == cursor["created"], invoices.c.id < cursor["id"]),
            )
        )
    return await db.fetch_all(
        query.order_by(invoices.c.created.desc(), invoices.c.id.desc()).limit(limit)
    )


async def lines(db: Database, customer_id: str, invoice_id: str) -> list[Row]:
    """An invoice's lines in order, with their products' names."""
    return await db.fetch_all(
        select(invoice_lines, prices.c.product_id, products.c.name.label("product_name"))
        .join(invoices, invoices.c.id == invoice_lines.c.invoice_id)
        .outerjoin(prices, prices.c.id == invoice_lines.c.price_id)
        .outerjoin(products, products.c.id == prices.c.product_id)
        .where(invoices.c.id == invoice_id, invoices.c.customer_id == customer_id)
        .order_by(invoice_lines.c.position, invoice_lines.c.id)
    )
