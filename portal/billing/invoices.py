"""Invoices: their lines, how they are totalled, and how they are written.

One `Draft` computes every invoice the portal shows or writes (a preview's "due today", the
next invoice on the overview, a renewal, a final invoice), so what a customer is shown is
what they are charged."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from portal import clock, objects
from portal.billing import events, money, queries
from portal.core.statuses import InvoiceStatus
from portal.db import Database, Row, new_id


class LineKind(StrEnum):
    """What a line is; pages, mails and documents word it in the reader's language."""

    PERIOD = "period"  # a period of a plan: "3 x Team"
    UNUSED_TIME = "unused_time"  # proration credit: "Unused time on 3 x Team"
    REMAINING_TIME = "remaining_time"  # proration charge: "Remaining time on 3 x Team"


@dataclass(frozen=True)
class Line:
    kind: LineKind | None  # None: an imported line, shown with its own description
    amount: int
    price_id: str | None = None
    product_id: str | None = None
    product_name: str | None = None
    quantity: int | None = None
    period_start: int | None = None
    period_end: int | None = None
    description: str | None = None

    @property
    def proration(self) -> bool:
        return self.kind in (LineKind.UNUSED_TIME, LineKind.REMAINING_TIME)


def pending_lines(rows: list[Row]) -> list[Line]:
    """Invoice items waiting for the next invoice (rows joined with their price's product)."""
    return [
        Line(
            LineKind(row["kind"]) if row["kind"] else None,
            row["amount"],
            price_id=row["price_id"],
            product_id=row["product_id"],
            product_name=row.get("product_name"),
            quantity=row["quantity"],
            period_start=row["period_start"],
            period_end=row["period_end"],
            description=row["description"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Coupon:
    """The discount that applies to an invoice (from a coupon row)."""

    id: str
    percent_off: int | None
    amount_off: int | None
    products: list[str] | None = None


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
            eligible = sum(
                line.amount
                for line in self.lines
                if self.coupon.products is None or line.product_id in self.coupon.products
            )
            discount = money.discount_for(
                eligible, percent_off=self.coupon.percent_off, amount_off=self.coupon.amount_off
            )
        total = subtotal - discount
        due, balance_after = money.apply_balance(total, self.balance)
        for name, value in (
            ("subtotal", subtotal),
            ("discount", discount),
            ("total", total),
            ("amount_due", due),
            ("balance_after", balance_after),
        ):
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Written:
    id: str
    status: str  # draft | open | paid
    amount_due: int


async def write(
    db: Database,
    draft: Draft,
    *,
    customer_id: str,
    subscription_id: str | None,
    billing_reason: str,
    period_start: int,
    period_end: int,
    discount_id: str | None = None,
    pending_item_ids: list[str] | None = None,
    auto_collect: bool = True,
    change_on_payment: dict[str, Any] | None = None,
    void: bool = False,
) -> Written:
    """Write an invoice and its lines in the caller's transaction.

    Normally it is finalized at once: numbered, the customer's balance moved, a one-time
    discount (`discount_id`, the one in force) used up, and either paid (nothing due) or
    open for collection. With `change_on_payment` it stays a draft carrying the change its
    payment completes: nothing else moves until `finalize`, so a declined payment leaves no
    trace (see collection.py). A `void` invoice (a period in a pause) is numbered and voided
    at once: nothing is due and nothing else moves."""
    now = clock.timestamp()
    invoice_id = new_id("in")
    values: dict[str, Any] = {
        "id": invoice_id,
        "customer_id": customer_id,
        "subscription_id": subscription_id,
        "number": None,
        "status": InvoiceStatus.DRAFT,
        "billing_reason": billing_reason,
        "currency": draft.currency,
        "subtotal": draft.subtotal,
        "discount": draft.discount,
        "tax": 0,
        "total": draft.total,
        "amount_due": draft.amount_due,
        "amount_paid": 0,
        "period_start": period_start,
        "period_end": period_end,
        "due_date": None if auto_collect else now + 30 * 86400,
        "paid_at": None,
        "attempt_count": 0,
        "next_payment_attempt": None,
        "livemode": False,
        "balance_change": draft.balance_after - draft.balance,
        "discount_id": discount_id if draft.coupon else None,
        "change_on_payment": change_on_payment,
        "created": now,
        # A change's draft is paid right away: its charge starts with it (collection.py).
        "charge_key": f"{invoice_id}:1" if change_on_payment else None,
        "charge_started_at": now if change_on_payment else None,
    }
    await queries.insert_invoice(db, values, _line_rows(invoice_id, draft.lines))
    if pending_item_ids:
        await queries.invoice_pending_items(db, customer_id, pending_item_ids, invoice_id)
    if change_on_payment is not None:
        return Written(invoice_id, InvoiceStatus.DRAFT, draft.amount_due)  # announced once paid
    await _announce(db, invoice_id)
    if void:
        number = await queries.next_invoice_number(db)
        await queries.update_invoice(
            db,
            customer_id,
            invoice_id,
            {
                "number": number,
                "status": InvoiceStatus.VOID,
                **await queries.billing_details(db, customer_id),
            },
        )
        await events.record(db, "invoice.voided", await objects.invoice(db, invoice_id))
        return Written(invoice_id, InvoiceStatus.VOID, 0)
    status = await finalize(db, invoice_id, customer_id, auto_collect=auto_collect)
    return Written(invoice_id, status, draft.amount_due)


def _line_rows(invoice_id: str, lines: list[Line]) -> list[Row]:
    return [
        {
            "id": new_id("il"),
            "invoice_id": invoice_id,
            "kind": line.kind,
            "price_id": line.price_id,
            "description": line.description,
            "amount": line.amount,
            "quantity": line.quantity,
            "proration": line.proration,
            "period_start": line.period_start,
            "period_end": line.period_end,
            "position": position,
        }
        for position, line in enumerate(lines)
    ]


async def finalize(
    db: Database,
    invoice_id: str,
    customer_id: str,
    *,
    auto_collect: bool = True,
    paid: bool = False,
    payment_method_id: str | None = None,
) -> str:
    """Number a draft and make it count: the balance it uses or adds, its one-time discount
    used up, the customer's billing details as they are now. `paid` when its payment was
    just taken (with `payment_method_id`); otherwise it is paid when nothing is due, and open
    (collected now, or by the customer) when something is. Returns the status."""
    now = clock.timestamp()
    invoice = await queries.invoice(db, customer_id, invoice_id)
    assert invoice is not None and invoice["status"] == InvoiceStatus.DRAFT
    if invoice["change_on_payment"] is not None:
        await _announce(db, invoice_id)
    number = await queries.next_invoice_number(db)
    paid = paid or not invoice["amount_due"]
    status = InvoiceStatus.PAID if paid else InvoiceStatus.OPEN
    await queries.update_invoice(
        db,
        customer_id,
        invoice_id,
        {
            "number": number,
            "status": status,
            "change_on_payment": None,
            "amount_paid": invoice["amount_due"] if paid else 0,
            "paid_at": now if paid else None,
            "next_payment_attempt": now if not paid and auto_collect else None,
            "payment_method_id": payment_method_id,
            **await queries.billing_details(db, customer_id),
        },
    )
    if invoice["balance_change"]:
        await queries.add_to_balance(db, customer_id, invoice["balance_change"])
    if invoice["discount_id"]:
        await queries.use_up_once_discount(db, customer_id, invoice["discount_id"], now)
    if paid:
        await events.record(db, "invoice.paid", await objects.invoice(db, invoice_id))
    return status


async def _announce(db: Database, invoice_id: str) -> None:
    await events.record(db, "invoice.created", await objects.invoice(db, invoice_id))
