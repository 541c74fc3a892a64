"""Invoices: one way to total them, write them and collect them, for changes and renewals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update

from portal import clock
from portal.billing import events, money
from portal.db import Database, Row, new_id
from portal.i18n import gettext
from portal.payments.processor import PaymentProcessor
from portal.tables import customers, invoice_items, invoice_lines, invoices, payment_methods

RETRY_DELAYS = (3 * 86400, 5 * 86400, 7 * 86400)
"""After a failed automatic charge: when to try again (then the invoice is left open)."""


@dataclass(frozen=True)
class Line:
    description: str
    amount: int
    price_id: str | None = None
    product_id: str | None = None
    quantity: int | None = None
    proration: bool = False
    period_start: int | None = None
    period_end: int | None = None


def period_line(price: Row, quantity: int, start: int, end: int) -> Line:
    """A period of a price (a row of prices with its product's name) at a quantity."""
    return Line(gettext("%(quantity)s × %(product)s", quantity=quantity,
                        product=price["product_name"]),
                int(price["unit_amount"]) * quantity, price_id=price["id"],
                product_id=price["product_id"], quantity=quantity, period_start=start,
                period_end=end)


def pending_lines(rows: list[Row]) -> list[Line]:
    """Waiting invoice items as the lines they become."""
    return [Line(row["description"] or "", row["amount"], price_id=row["price_id"],
                 quantity=row["quantity"], proration=True, period_start=row["period_start"],
                 period_end=row["period_end"]) for row in rows]


@dataclass(frozen=True)
class Coupon:
    """The discount that applies to an invoice (from a coupon row)."""

    id: str
    percent_off: int | None
    amount_off: int | None
    products: list[str] | None = None

    @classmethod
    def of(cls, row: Row | None) -> Coupon | None:
        if row is None:
            return None
        return cls(row["coupon_id"] if "coupon_id" in row else row["id"], row["percent_off"],
                   row["amount_off"], row["applies_to_products"])


@dataclass(frozen=True)
class Draft:
    """An invoice before it is written: the same numbers for a preview and for the charge."""

    currency: str
    lines: list[Line]
    coupon: Coupon | None = None
    balance: int = 0  # the customer's balance before it; negative is credit
    subtotal: int = field(init=False)
    discount: int = field(init=False)
    total: int = field(init=False)
    amount_due: int = field(init=False)
    balance_after: int = field(init=False)

    def __post_init__(self) -> None:
        subtotal = sum(line.amount for line in self.lines)
        discount = 0
        if self.coupon is not None:
            eligible = sum(line.amount for line in self.lines
                           if self.coupon.products is None
                           or line.product_id in self.coupon.products)
            discount = money.discount_for(eligible, percent_off=self.coupon.percent_off,
                                          amount_off=self.coupon.amount_off)
        total = subtotal - discount
        due, balance_after = money.apply_balance(total, self.balance)
        for name, value in (("subtotal", subtotal), ("discount", discount), ("total", total),
                            ("amount_due", due), ("balance_after", balance_after)):
            object.__setattr__(self, name, value)


async def write(db: Database, draft: Draft, *, customer_id: str, subscription_id: str | None,
                billing_reason: str, period_start: int, period_end: int,
                pending_item_ids: list[str] | None = None, auto_collect: bool = True) -> Row:
    """Insert an open invoice and its lines; pending items become its lines. Automatic
    collection charges it right away; otherwise it is due in 30 days, paid by the customer."""
    now = clock.timestamp()
    invoice_id = new_id("in")
    count = await db.fetch_val(select(func.count()).select_from(invoices)
                               .where(invoices.c.customer_id == customer_id))
    values: dict[str, Any] = {
        "id": invoice_id, "customer_id": customer_id, "subscription_id": subscription_id,
        "number": f"{customer_id.rsplit('_', 1)[-1][:8].upper()}-{count + 1:04d}",
        "status": "open" if draft.amount_due else "paid", "billing_reason": billing_reason,
        "currency": draft.currency, "subtotal": draft.subtotal, "discount": draft.discount,
        "tax": 0, "total": draft.total, "amount_due": draft.amount_due, "amount_paid": 0,
        "period_start": period_start, "period_end": period_end,
        "due_date": None if auto_collect else now + 30 * 86400,
        "paid_at": None if draft.amount_due else now, "attempt_count": 0,
        "next_payment_attempt": now if draft.amount_due and auto_collect else None,
        "livemode": False,
        "created": now,
    }
    await db.execute(invoices.insert().values(**values))
    await db.execute_many(invoice_lines.insert(), [
        {"id": new_id("il"), "invoice_id": invoice_id, "price_id": line.price_id,
         "description": line.description, "amount": line.amount, "quantity": line.quantity,
         "proration": line.proration, "period_start": line.period_start,
         "period_end": line.period_end, "position": position}
        for position, line in enumerate(draft.lines)])
    if pending_item_ids:
        await db.execute(update(invoice_items).where(invoice_items.c.id.in_(pending_item_ids))
                         .values(invoice_id=invoice_id))
    if draft.balance_after != draft.balance:
        await db.execute(update(customers).where(customers.c.id == customer_id)
                         .values(balance=draft.balance_after))
    await events.record(db, "invoice.created", values)
    if not draft.amount_due:
        await events.record(db, "invoice.paid", {**values, "status": "paid"})
    return values


async def collect(db: Database, processor: PaymentProcessor, invoice: Row,
                  payment_method_id: str | None) -> bool:
    """Charge an open invoice to a saved method; True when it is paid. A failure schedules
    the next try (or none after the last) and leaves the invoice open."""
    now = clock.timestamp()
    attempt = invoice["attempt_count"] + 1
    method = None
    if payment_method_id:
        method = await db.fetch_one(select(payment_methods).where(
            payment_methods.c.id == payment_method_id,
            payment_methods.c.customer_id == invoice["customer_id"]))
    result = None
    if method is not None:
        result = await processor.charge(method, invoice["amount_due"], invoice["currency"],
                                        idempotency_key=f"{invoice['id']}:{attempt}")
    if result is not None and result.succeeded:
        await db.execute(update(invoices).where(invoices.c.id == invoice["id"]).values(
            status="paid", amount_paid=invoice["amount_due"], paid_at=now,
            attempt_count=attempt, next_payment_attempt=None))
        await events.record(db, "invoice.paid", {"id": invoice["id"], "status": "paid"})
        return True
    retry = (now + RETRY_DELAYS[attempt - 1]) if attempt <= len(RETRY_DELAYS) else None
    await db.execute(update(invoices).where(invoices.c.id == invoice["id"]).values(
        attempt_count=attempt, next_payment_attempt=retry))
    await events.record(db, "invoice.payment_failed", {
        "id": invoice["id"], "attempt_count": attempt,
        "decline_code": result.decline_code if result else "no_payment_method"})
    return False
