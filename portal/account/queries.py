"""Reads for a customer's home page. Every query is scoped to one customer."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, and_, bindparam, select

from portal.billing.queries import DISCOUNT_COLUMNS, PRICE_COLUMNS, discount_in_force
from portal.core.statuses import ENDED, InvoiceStatus
from portal.db import Database, Row, Statement, prefixed
from portal.invoices.queries import NO_BOUND
from portal.tables import (
    coupons,
    customers,
    discounts,
    invoice_items,
    invoices,
    payment_methods,
    prices,
    products,
    promotion_codes,
    subscription_items,
    subscriptions,
)

CARD = "card__"
PENDING = "pending__"
SCHEDULED = "scheduled__"


# Every page shows these: built once here, not per request (see Statement in db_backends.py).
_CUSTOMER = Statement(
    select(customers, *(c.label(CARD + c.name) for c in payment_methods.c))
    .outerjoin(
        payment_methods,
        and_(
            payment_methods.c.id == customers.c.default_payment_method_id,
            payment_methods.c.customer_id == customers.c.id,
        ),
    )
    .where(customers.c.id == bindparam("customer_id"))
)


async def customer(db: Database, customer_id: str) -> Row | None:
    """The customer, and their default payment method as `card__*` columns (NULL if none)."""
    return await db.fetch_one(_CUSTOMER, {"customer_id": customer_id})


def card_of(customer: Row) -> Row | None:
    card = prefixed(customer, CARD)
    return card if card["id"] is not None else None


_pending_price = prices.alias("pending_price")
_scheduled_price = prices.alias("scheduled_price")
_scheduled_product = products.alias("scheduled_product")


_scheduled_price_id = subscriptions.c.pending_update["price"].as_string()
_CURRENT_SUBSCRIPTIONS = Statement(
    select(
        subscriptions,
        subscription_items.c.id.label("item_id"),
        subscription_items.c.quantity,
        *PRICE_COLUMNS,
        *DISCOUNT_COLUMNS,
        invoice_items.c.id.label(PENDING + "id"),
        invoice_items.c.kind.label(PENDING + "kind"),
        invoice_items.c.amount.label(PENDING + "amount"),
        invoice_items.c.price_id.label(PENDING + "price_id"),
        _pending_price.c.product_id.label(PENDING + "product_id"),
        invoice_items.c.quantity.label(PENDING + "quantity"),
        invoice_items.c.period_start.label(PENDING + "period_start"),
        invoice_items.c.period_end.label(PENDING + "period_end"),
        invoice_items.c.description.label(PENDING + "description"),
        *(
            c.label(SCHEDULED + c.name)
            for c in (
                _scheduled_price.c.id,
                _scheduled_price.c.product_id,
                _scheduled_price.c.unit_amount,
                _scheduled_price.c.currency,
                _scheduled_price.c.interval,
                _scheduled_price.c.interval_count,
                _scheduled_price.c.usage_type,
            )
        ),
        _scheduled_product.c.name.label(SCHEDULED + "product_name"),
    )
    .join(subscription_items, subscription_items.c.subscription_id == subscriptions.c.id)
    .join(prices, prices.c.id == subscription_items.c.price_id)
    .join(products, products.c.id == prices.c.product_id)
    .outerjoin(discounts, discount_in_force(subscriptions.c.id, bindparam("now")))
    .outerjoin(coupons, coupons.c.id == discounts.c.coupon_id)
    .outerjoin(promotion_codes, promotion_codes.c.id == discounts.c.promotion_code_id)
    .outerjoin(
        invoice_items,
        and_(
            invoice_items.c.subscription_id == subscriptions.c.id,
            invoice_items.c.invoice_id.is_(None),
        ),
    )
    .outerjoin(_pending_price, _pending_price.c.id == invoice_items.c.price_id)
    .outerjoin(_scheduled_price, _scheduled_price.c.id == _scheduled_price_id)
    .outerjoin(_scheduled_product, _scheduled_product.c.id == _scheduled_price.c.product_id)
    .where(
        subscriptions.c.customer_id == bindparam("customer_id"),
        # Not `NOT IN (…)`: a list makes the statement uncacheable (db_backends.py).
        *(subscriptions.c.status != status for status in ENDED),
    )
    .order_by(
        subscriptions.c.created.desc(),
        subscriptions.c.id,
        subscription_items.c.created,
        subscription_items.c.id,
        invoice_items.c.created,
        invoice_items.c.id,
    )
)


async def current_subscriptions(db: Database, customer_id: str, now: int) -> list[Row]:
    """Everything the next invoice of each subscription that has not ended depends on, in one
    query: a row per item and waiting adjustment (`pending__*`), with the price and product,
    the discount in force, and the price of a change scheduled for the period end
    (`scheduled__*`)."""
    return await db.fetch_all(_CURRENT_SUBSCRIPTIONS, {"customer_id": customer_id, "now": now})


def pending_of(row: Row) -> Row | None:
    pending = prefixed(row, PENDING)
    return pending if pending["id"] is not None else None


def scheduled_of(row: Row) -> Row | None:
    scheduled = prefixed(row, SCHEDULED)
    if scheduled["id"] is None:
        return None
    return {**scheduled, "price_id": scheduled["id"]}


_LATEST_INVOICES = Statement(
    select(invoices)
    .where(
        invoices.c.customer_id == bindparam("customer_id"),
        invoices.c.status != InvoiceStatus.DRAFT,
        invoices.c.created <= bindparam("until", type_=BigInteger),  # see invoices/queries.py
    )
    .order_by(invoices.c.created.desc(), invoices.c.id.desc())
    .limit(bindparam("limit", type_=Integer))
)


async def latest_invoices(db: Database, customer_id: str, limit: int) -> list[Row]:
    """Newest first; uses the (customer_id, created, id) index whatever the history's length."""
    return await db.fetch_all(
        _LATEST_INVOICES, {"customer_id": customer_id, "limit": limit, "until": NO_BOUND}
    )
