"""The next invoice of a subscription: one computation for everything that announces or
writes it.

The overview's "Next invoice: …", a change's preview and the billing clock's renewal all call
`next_invoice` on a `Billing` (what billing knows of one subscription), so the invoice the
clock writes at the period end is the one announced before it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from portal.billing import money, queries
from portal.billing.invoices import Coupon, Draft, Line, LineKind, pending_lines
from portal.core.statuses import LIVE
from portal.db import Database, Row, new_id

RENEWING = LIVE
"""Statuses the billing clock moves on; others have ended or wait for something else."""


@dataclass(frozen=True)
class Item:
    """A subscription item with its price and product."""

    price_id: str
    product_id: str
    product_name: str
    unit_amount: int
    currency: str
    interval: str
    interval_count: int
    usage_type: str
    quantity: int
    item_id: str | None = None

    @classmethod
    def of(cls, row: Row, quantity: int | None = None, item_id: str | None = None) -> Item:
        """From a price row joined with its product (`product_name`)."""
        return cls(
            row["price_id"] if "price_id" in row else row["id"],
            row["product_id"],
            row["product_name"],
            int(row["unit_amount"]),
            row["currency"],
            row["interval"],
            int(row["interval_count"]),
            row["usage_type"],
            int(row["quantity"] if quantity is None else quantity),
            item_id if item_id is not None else row.get("item_id"),
        )

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity

    def rest_of_period(self, kind: LineKind, start: int, end: int, at: int) -> Line:
        """The share of the period [start, end) after `at`, at this item's price: credited
        (unused time) or charged (remaining time)."""
        part = money.unused_part(self.amount, start, end, at)
        return Line(
            kind,
            -part if kind == LineKind.UNUSED_TIME else part,
            price_id=self.price_id,
            product_id=self.product_id,
            product_name=self.product_name,
            quantity=self.quantity,
            period_start=at,
            period_end=end,
        )

    def period_line(self, start: int, end: int) -> Line:
        return Line(
            LineKind.PERIOD,
            self.amount,
            price_id=self.price_id,
            product_id=self.product_id,
            product_name=self.product_name,
            quantity=self.quantity,
            period_start=start,
            period_end=end,
        )


@dataclass(frozen=True)
class Discount:
    """A discount of the subscription, with its coupon's terms."""

    id: str
    coupon: Coupon
    duration: str  # once | repeating | forever
    duration_in_months: int | None
    start: int
    end: int | None
    code: str | None = None  # the promotion code it came from
    name: str | None = None  # the coupon's name
    currency: str | None = None  # of amount_off
    promotion_code_id: str | None = None

    @classmethod
    def of(cls, row: Row | None) -> Discount | None:
        """From a discount row joined with its coupon (coupon columns as in `coupons`)."""
        if row is None or row.get("discount_id") is None:
            return None
        return cls(
            row["discount_id"],
            Coupon(
                row["coupon_id"], row["percent_off"], row["amount_off"], row["applies_to_products"]
            ),
            row["duration"],
            row["duration_in_months"],
            row["discount_start"],
            row["discount_end"],
            row.get("promotion_code"),
            row.get("coupon_name"),
            row.get("coupon_currency"),
            row.get("promotion_code_id"),
        )

    @classmethod
    def starting(
        cls,
        coupon: Row,
        at: int,
        *,
        code: str | None = None,
        promotion_code_id: str | None = None,
    ) -> Discount:
        """A new discount from `at` on, with a coupon's terms (columns as `of` reads them):
        a repeating one ends its number of months later."""
        months = coupon["duration_in_months"]
        repeating = coupon["duration"] == "repeating"
        return cls(
            new_id("di"),
            Coupon(
                coupon["coupon_id"],
                coupon["percent_off"],
                coupon["amount_off"],
                coupon["applies_to_products"],
            ),
            coupon["duration"],
            months,
            at,
            money.add_interval(at, "month", months) if repeating else None,
            code,
            coupon["coupon_name"],
            coupon["coupon_currency"],
            promotion_code_id,
        )

    def in_force(self, at: int) -> bool:
        return self.start <= at and (self.end is None or self.end > at)


class Kind(StrEnum):
    RENEWAL = "renewal"  # the next period, with waiting adjustments
    FINAL = "final"  # the subscription ends: waiting adjustments only, if any
    PAUSED = "paused"  # collection is paused: the period's invoice is not made


@dataclass(frozen=True)
class Billing:
    """What billing knows of one subscription at a moment."""

    subscription: Row
    items: list[Item]
    pending: list[Line]  # adjustments waiting for the next invoice
    discount: Discount | None  # the discount in force (it may end before the next invoice)
    balance: int  # the customer's balance; negative is credit
    pending_item_ids: list[str] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.items[0].currency

    def scheduled_items(self, scheduled: Item | None) -> list[Item]:
        """The items from the period end on, with the change scheduled for then."""
        if scheduled is None:
            return self.items
        return [scheduled, *self.items[1:]]

    def changed(self, **values: Any) -> Billing:
        return replace(self, **values)


@dataclass(frozen=True)
class Upcoming:
    """What happens at the period end, and the invoice written then (None: no invoice)."""

    kind: Kind
    at: int
    draft: Draft | None
    items: list[Item]  # the items from `at` on
    period_end: int | None  # the new period's end (renewal and pause)
    discount: Discount | None  # the discount the draft uses
    voided: Draft | None = None  # paused: the period's invoice, written void


def ending(subscription: Row) -> bool:
    """Whether the subscription ends at its period end."""
    end = subscription["current_period_end"]
    return bool(
        subscription["cancel_at_period_end"]
        or (subscription["cancel_at"] and subscription["cancel_at"] <= end)
    )


def ends_at(subscription: Row) -> int:
    """When an ending subscription ends (see `ending`)."""
    if subscription["cancel_at_period_end"] or not subscription["cancel_at"]:
        return int(subscription["current_period_end"])
    return int(subscription["cancel_at"])


def paused_at(subscription: Row, at: int) -> bool:
    pause = subscription["pause_collection"]
    return bool(pause) and (pause.get("resumes_at") is None or pause["resumes_at"] > at)


def next_invoice(billing: Billing, scheduled: Item | None = None) -> Upcoming | None:
    """What the billing clock does at the period end; None when the subscription does not
    renew (it has ended, or waits for something else). `scheduled` is the item a change
    scheduled for the period end (`pending_update`), with its price."""
    sub = billing.subscription
    if sub["status"] not in RENEWING:
        return None
    at = int(sub["current_period_end"])
    discount = billing.discount if billing.discount and billing.discount.in_force(at) else None
    coupon = discount.coupon if discount else None
    if ending(sub):
        draft = None
        if billing.pending:
            draft = Draft(billing.currency, billing.pending, coupon, billing.balance)
        return Upcoming(Kind.FINAL, at, draft, billing.items, None, discount if draft else None)
    items = billing.scheduled_items(scheduled)
    end = money.add_interval(at, items[0].interval, items[0].interval_count)
    lines = [item.period_line(at, end) for item in items if item.usage_type == "licensed"]
    if paused_at(sub, at):
        # Adjustments wait for the first invoice after the pause.
        voided = Draft(items[0].currency, lines)
        return Upcoming(Kind.PAUSED, at, None, items, end, None, voided)
    draft = Draft(items[0].currency, [*lines, *billing.pending], coupon, billing.balance)
    return Upcoming(Kind.RENEWAL, at, draft, items, end, discount)


async def load(db: Database, subscription: Row, *, at: int) -> tuple[Billing, Item | None]:
    """A subscription's billing as it stands, with its discount in force at `at`, and the
    item a scheduled change brings at the period end (None without one)."""
    customer_id, subscription_id = subscription["customer_id"], subscription["id"]
    items = [Item.of(row) for row in await queries.items(db, customer_id, subscription_id)]
    pending = await queries.pending_items(db, customer_id, subscription_id)
    discount = Discount.of(await queries.discount(db, customer_id, subscription_id, at))
    billing = Billing(
        subscription,
        items,
        pending_lines(pending),
        discount,
        await queries.balance(db, customer_id),
        [row["id"] for row in pending],
    )
    return billing, await scheduled_item(db, billing)


async def scheduled_item(db: Database, billing: Billing) -> Item | None:
    change = billing.subscription["pending_update"]
    if not change:
        return None
    price = await queries.price(db, change["price"])
    if price is None:
        return None
    return Item.of(price, quantity=change["quantity"], item_id=billing.items[0].item_id)
