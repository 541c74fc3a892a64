"""Billing SQL: what billing reads of a subscription, and the invoice ledger's writes.

Every statement names the customer: an id from one customer never reaches another's rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.core.statuses import InvoiceStatus
from portal.db import Database, Row
from portal.tables import (
    coupons,
    customers,
    discounts,
    events,
    invoice_items,
    invoice_lines,
    invoice_numbering,
    invoices,
    payment_methods,
    prices,
    products,
    promotion_codes,
    subscription_items,
    subscriptions,
    tax_ids,
)

DISCOUNT_COLUMNS = (
    discounts.c.id.label("discount_id"),
    discounts.c.start.label("discount_start"),
    discounts.c.end.label("discount_end"),
    coupons.c.id.label("coupon_id"),
    coupons.c.percent_off,
    coupons.c.amount_off,
    coupons.c.applies_to_products,
    coupons.c.duration,
    coupons.c.duration_in_months,
    coupons.c.name.label("coupon_name"),
    coupons.c.currency.label("coupon_currency"),
    promotion_codes.c.code.label("promotion_code"),
    discounts.c.promotion_code_id,
)
"""A discount with its coupon's terms, as `upcoming.Discount.of` reads them."""

PRICE_COLUMNS = (
    prices.c.id.label("price_id"),
    prices.c.product_id,
    products.c.name.label("product_name"),
    prices.c.unit_amount,
    prices.c.currency,
    prices.c.interval,
    prices.c.interval_count,
    prices.c.usage_type,
)


def discount_in_force(subscription_id: Any, at: Any) -> ColumnElement[bool]:
    return and_(
        discounts.c.subscription_id == subscription_id,
        discounts.c.start <= at,
        or_(discounts.c.end.is_(None), discounts.c.end > at),
    )


def _of_customer(customer_id: str, subscription_id: str) -> ColumnElement[bool]:
    return exists().where(
        subscriptions.c.id == subscription_id, subscriptions.c.customer_id == customer_id
    )


async def subscription(db: Database, customer_id: str, subscription_id: str) -> Row | None:
    return await db.fetch_one(
        select(subscriptions).where(
            subscriptions.c.id == subscription_id, subscriptions.c.customer_id == customer_id
        )
    )


async def items(db: Database, customer_id: str, subscription_id: str) -> list[Row]:
    """The items with their prices and products."""
    return await db.fetch_all(
        select(
            subscription_items.c.id.label("item_id"), subscription_items.c.quantity, *PRICE_COLUMNS
        )
        .join(prices, prices.c.id == subscription_items.c.price_id)
        .join(products, products.c.id == prices.c.product_id)
        .join(subscriptions, subscriptions.c.id == subscription_items.c.subscription_id)
        .where(
            subscription_items.c.subscription_id == subscription_id,
            subscriptions.c.customer_id == customer_id,
        )
        .order_by(subscription_items.c.created, subscription_items.c.id)
    )


async def price(db: Database, price_id: str) -> Row | None:
    """A price with its product (catalog data, the same for every customer)."""
    return await db.fetch_one(
        select(*PRICE_COLUMNS)
        .join(products, products.c.id == prices.c.product_id)
        .where(prices.c.id == price_id)
    )


async def discount(db: Database, customer_id: str, subscription_id: str, at: int) -> Row | None:
    """The subscription's discount in force at `at`, with its coupon."""
    return await db.fetch_one(
        select(*DISCOUNT_COLUMNS)
        .join(coupons, coupons.c.id == discounts.c.coupon_id)
        .outerjoin(promotion_codes, promotion_codes.c.id == discounts.c.promotion_code_id)
        .where(discount_in_force(subscription_id, at), discounts.c.customer_id == customer_id)
        .order_by(discounts.c.start.desc())
        .limit(1)
    )


async def pending_items(db: Database, customer_id: str, subscription_id: str) -> list[Row]:
    """Adjustments waiting for the subscription's next invoice, with their products."""
    return await db.fetch_all(
        select(invoice_items, prices.c.product_id, products.c.name.label("product_name"))
        .outerjoin(prices, prices.c.id == invoice_items.c.price_id)
        .outerjoin(products, products.c.id == prices.c.product_id)
        .where(
            invoice_items.c.customer_id == customer_id,
            invoice_items.c.subscription_id == subscription_id,
            invoice_items.c.invoice_id.is_(None),
        )
        # Credits before charges made at the same moment (unused time, then remaining time).
        .order_by(invoice_items.c.created, invoice_items.c.amount, invoice_items.c.id)
    )


async def balance(db: Database, customer_id: str) -> int:
    value = await db.fetch_val(select(customers.c.balance).where(customers.c.id == customer_id))
    return int(value or 0)


async def add_to_balance(db: Database, customer_id: str, delta: int) -> None:
    await db.execute(
        update(customers)
        .where(customers.c.id == customer_id)
        .values(balance=customers.c.balance + delta)
    )


async def end_discounts(db: Database, customer_id: str, subscription_id: str, now: int) -> None:
    await db.execute(
        update(discounts)
        .where(
            discounts.c.customer_id == customer_id,
            discounts.c.subscription_id == subscription_id,
            or_(discounts.c.end.is_(None), discounts.c.end > now),
        )
        .values(end=now)
    )


async def use_up_once_discount(db: Database, customer_id: str, discount_id: str, now: int) -> None:
    """A one-time discount ends with the invoice that used it."""
    once = exists().where(coupons.c.id == discounts.c.coupon_id, coupons.c.duration == "once")
    await db.execute(
        update(discounts)
        .where(
            discounts.c.id == discount_id,
            discounts.c.customer_id == customer_id,
            once,
            or_(discounts.c.end.is_(None), discounts.c.end > now),
        )
        .values(end=now)
    )


async def insert_discount(db: Database, **values: Any) -> None:
    await db.execute(discounts.insert().values(**values))


async def insert_pending_items(db: Database, rows: list[Row]) -> None:
    await db.execute_many(invoice_items.insert(), rows)


# -- Subscriptions --------------------------------------------------------------------------


async def bump_version(
    db: Database, customer_id: str, subscription_id: str, version: int, values: dict[str, Any]
) -> bool:
    """Write to a subscription only if nobody changed it since `version` was read."""
    row = await db.fetch_one(
        update(subscriptions)
        .where(
            subscriptions.c.id == subscription_id,
            subscriptions.c.customer_id == customer_id,
            subscriptions.c.version == version,
        )
        .values(version=version + 1, **values)
        .returning(subscriptions.c.id)
    )
    return row is not None


async def replace_item(
    db: Database,
    customer_id: str,
    subscription_id: str,
    item_id: str,
    price_id: str | None,
    quantity: int | None,
) -> None:
    await db.execute(
        update(subscription_items)
        .where(
            subscription_items.c.id == item_id,
            subscription_items.c.subscription_id == subscription_id,
            _of_customer(customer_id, subscription_id),
        )
        .values(price_id=price_id, quantity=quantity)
    )


async def set_subscription(
    db: Database, customer_id: str, subscription_id: str, values: dict[str, Any]
) -> None:
    await db.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id, subscriptions.c.customer_id == customer_id)
        .values(**values)
    )


async def redeem(db: Database, promotion_code_id: str, coupon_id: str) -> bool:
    """Count a redemption of the code and its coupon, unless a limit was reached meanwhile
    (False: the caller's transaction is then rolled back)."""
    return await _count_redemption(
        db, promotion_codes, promotion_code_id, 1
    ) and await _count_redemption(db, coupons, coupon_id, 1)


async def redeem_coupon(db: Database, coupon_id: str) -> bool:
    """Count a redemption of a coupon given without a code (the retention offer), unless
    its limit was reached meanwhile."""
    return await _count_redemption(db, coupons, coupon_id, 1)


async def give_back_redemption(db: Database, promotion_code_id: str, coupon_id: str) -> None:
    """A redemption whose change was never made (its payment was declined)."""
    await _count_redemption(db, promotion_codes, promotion_code_id, -1)
    await _count_redemption(db, coupons, coupon_id, -1)


async def _count_redemption(db: Database, table: Any, row_id: str, step: int) -> bool:
    limit = (
        or_(table.c.max_redemptions.is_(None), table.c.times_redeemed < table.c.max_redemptions)
        if step > 0
        else table.c.times_redeemed > 0
    )
    row = await db.fetch_one(
        update(table)
        .where(table.c.id == row_id, limit)
        .values(times_redeemed=table.c.times_redeemed + step)
        .returning(table.c.id)
    )
    return row is not None


async def insert_event(db: Database, **values: Any) -> None:
    await db.execute(events.insert().values(**values))


# -- The invoice ledger --------------------------------------------------------------------


async def insert_invoice(db: Database, values: Row, lines: Sequence[Row]) -> None:
    await db.execute(invoices.insert().values(**values))
    await db.execute_many(invoice_lines.insert(), lines)


async def billing_details(db: Database, customer_id: str) -> dict[str, Any]:
    """What an invoice keeps of its customer when it is finalized, under Stripe's names."""
    customer = await db.fetch_one(
        select(
            customers.c.name,
            customers.c.email,
            customers.c.phone,
            customers.c.address,
            customers.c.shipping,
        ).where(customers.c.id == customer_id)
    )
    assert customer is not None
    ids = await db.fetch_all(
        select(tax_ids.c.type, tax_ids.c.value)
        .where(tax_ids.c.customer_id == customer_id)
        .order_by(tax_ids.c.created, tax_ids.c.id)
    )
    return {
        **{f"customer_{name}": value for name, value in customer.items()},
        "customer_tax_ids": [{"type": t["type"], "value": t["value"]} for t in ids],
    }


async def invoice_pending_items(
    db: Database, customer_id: str, item_ids: list[str], invoice_id: str
) -> None:
    await db.execute(
        update(invoice_items)
        .where(invoice_items.c.customer_id == customer_id, invoice_items.c.id.in_(item_ids))
        .values(invoice_id=invoice_id)
    )


async def invoice(db: Database, customer_id: str, invoice_id: str) -> Row | None:
    return await db.fetch_one(
        select(invoices).where(invoices.c.id == invoice_id, invoices.c.customer_id == customer_id)
    )


async def lock_invoice(db: Database, customer_id: str, invoice_id: str) -> Row | None:
    """The invoice, unless another process holds it (PostgreSQL; SQLite has one writer)."""
    query = select(invoices).where(
        invoices.c.id == invoice_id, invoices.c.customer_id == customer_id
    )
    if not db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return await db.fetch_one(query)


async def has_open_invoice(db: Database, customer_id: str, subscription_id: str) -> bool:
    found = await db.fetch_val(
        select(invoices.c.id)
        .where(
            invoices.c.customer_id == customer_id,
            invoices.c.subscription_id == subscription_id,
            invoices.c.status == InvoiceStatus.OPEN,
        )
        .limit(1)
    )
    return found is not None


async def payment_method_for(
    db: Database, customer_id: str, subscription_id: str | None
) -> Row | None:
    """The method a charge goes to: the subscription's own, else the customer's default."""
    chosen: ColumnElement[Any] = customers.c.default_payment_method_id
    if subscription_id is not None:
        own = (
            select(subscriptions.c.default_payment_method_id)
            .where(
                subscriptions.c.id == subscription_id, subscriptions.c.customer_id == customer_id
            )
            .scalar_subquery()
        )
        chosen = func.coalesce(own, chosen)
    return await db.fetch_one(
        select(payment_methods)
        .select_from(customers)
        .join(
            payment_methods,
            and_(payment_methods.c.customer_id == customers.c.id, payment_methods.c.id == chosen),
        )
        .where(customers.c.id == customer_id)
    )


async def payment_method(db: Database, customer_id: str, payment_method_id: str) -> Row | None:
    return await db.fetch_one(
        select(payment_methods).where(
            payment_methods.c.id == payment_method_id,
            payment_methods.c.customer_id == customer_id,
        )
    )


async def preferred_locale(db: Database, customer_id: str) -> str | None:
    value = await db.fetch_val(
        select(customers.c.preferred_locale).where(customers.c.id == customer_id)
    )
    return str(value) if value else None


async def update_invoice(
    db: Database,
    customer_id: str,
    invoice_id: str,
    values: dict[str, Any],
    *,
    charge_key: str | None = None,
) -> bool:
    """Update an invoice; with `charge_key`, only while that charge is the one in flight
    (so the outcome of one charge is recorded once)."""
    where = [invoices.c.id == invoice_id, invoices.c.customer_id == customer_id]
    if charge_key is not None:
        where.append(invoices.c.charge_key == charge_key)
    row = await db.fetch_one(
        update(invoices).where(*where).values(**values).returning(invoices.c.id)
    )
    return row is not None


async def delete_draft(db: Database, customer_id: str, invoice_id: str, charge_key: str) -> bool:
    """Remove a draft whose payment was declined, if that charge is still the one in flight."""
    row = await db.fetch_one(
        invoices.delete()
        .where(
            invoices.c.id == invoice_id,
            invoices.c.customer_id == customer_id,
            invoices.c.status == InvoiceStatus.DRAFT,
            invoices.c.charge_key == charge_key,
        )
        .returning(invoices.c.id)
    )
    return row is not None


async def next_invoice_number(db: Database) -> str:
    """The business's next invoice number (`QMA-0079`): one sequence, taken in the invoice's
    own transaction, so concurrent invoices never share a number."""
    insert = (sqlite.insert if db.is_sqlite else postgresql.insert)(invoice_numbering)
    row = await db.fetch_one(
        insert.values(id=1, prefix=DEFAULT_INVOICE_PREFIX, next_number=2)
        .on_conflict_do_update(
            index_elements=["id"], set_={"next_number": invoice_numbering.c.next_number + 1}
        )
        .returning(
            invoice_numbering.c.prefix,
            (invoice_numbering.c.next_number - literal(1)).label("number"),
        )
    )
    assert row is not None
    return format_invoice_number(row["prefix"], row["number"])


DEFAULT_INVOICE_PREFIX = "INV"


def format_invoice_number(prefix: str, number: int) -> str:
    return f"{prefix}-{number:04d}"


async def numbering(db: Database) -> Row | None:
    return await db.fetch_one(select(invoice_numbering).where(invoice_numbering.c.id == 1))


async def set_numbering(db: Database, prefix: str, next_number: int) -> None:
    insert = (sqlite.insert if db.is_sqlite else postgresql.insert)(invoice_numbering)
    await db.execute(
        insert.values(id=1, prefix=prefix, next_number=next_number).on_conflict_do_update(
            index_elements=["id"], set_={"prefix": prefix, "next_number": next_number}
        )
    )
