"""What a change to a subscription costs, now and at the next invoice.

One pure function, `plan_change`, computes it from loaded rows; the preview page shows its
result and confirming writes exactly that result, so the charge is always the preview."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.billing import money
from portal.billing.invoices import Coupon, Draft, Line, period_line
from portal.db import Row
from portal.i18n import gettext


@dataclass(frozen=True)
class Context:
    """A subscription with one item, as loaded for a change."""

    subscription: Row
    item: Row  # the item joined with its price and product name
    settings: dict[str, Any]  # the configuration's subscription_update features
    coupon: Coupon | None  # the discount in force
    coupon_once: bool  # it applies to one more invoice only
    balance: int  # the customer's balance (negative: credit)
    pending: list[Line] = field(default_factory=list)  # prorations waiting for next invoice


@dataclass(frozen=True)
class Plan:
    # unchanged | discount | scheduled | prorate | new_period | trial_continues | trial_ends
    mode: str
    price: Row
    quantity: int
    coupon: Coupon | None
    now: Draft | None  # the invoice made and charged on confirming, if any
    pending: list[Line]  # prorations carried to the next invoice (create_prorations)
    next_date: int
    next: Draft  # the next invoice as it stands after the change
    period_start: int  # the subscription's period after the change
    period_end: int
    at: int  # the moment it was computed for

    @property
    def due_now(self) -> int:
        return self.now.amount_due if self.now else 0


def _amount(price: Row, quantity: int) -> int:
    return int(price["unit_amount"]) * quantity


def is_downgrade(current: Row, quantity: int, price: Row, new_quantity: int,
                 conditions: list[str]) -> bool:
    """Whether the configuration wants this change at the period end instead of now."""
    shorter = (money.interval_seconds(price["interval"], price["interval_count"])
               < money.interval_seconds(current["interval"], current["interval_count"]))
    cheaper = _amount(price, new_quantity) < _amount(current, quantity)
    return (("decreasing_item_amount" in conditions and cheaper)
            or ("shortening_interval" in conditions and shorter))


def plan_change(ctx: Context, price: Row, quantity: int, coupon: Coupon | None,
                new_coupon_once: bool, now: int) -> Plan:
    sub, current = ctx.subscription, ctx.item
    start, end = sub["current_period_start"], sub["current_period_end"]
    old_quantity = current["quantity"]
    coupon_once = new_coupon_once if coupon is not ctx.coupon else ctx.coupon_once
    conditions = [c["type"] for c in ctx.settings.get("schedule_at_period_end", {})
                  .get("conditions", [])]
    behavior = ctx.settings.get("proration_behavior", "create_prorations")
    same_interval = ((price["interval"], price["interval_count"])
                     == (current["interval"], current["interval_count"]))

    def plan(mode: str, now_lines: list[Line] | None, pending: list[Line], next_date: int,
             period: tuple[int, int]) -> Plan:
        now_draft = None
        balance = ctx.balance
        next_coupon = coupon
        if now_lines is not None:
            now_draft = Draft(price["currency"], now_lines, coupon, balance)
            balance = now_draft.balance_after
            if coupon_once and now_draft.discount:
                next_coupon = None
        renewal_end = money.add_interval(next_date, price["interval"], price["interval_count"])
        next_lines = [*ctx.pending, *pending,
                      period_line(price, quantity, next_date, renewal_end)]
        return Plan(mode, price, quantity, coupon, now_draft, pending, next_date,
                    Draft(price["currency"], next_lines, next_coupon, balance), *period, now)

    if price["id"] == current["id"] and quantity == old_quantity:
        # Only a promotion code (or nothing): the plan and its period stay as they are.
        return plan("unchanged" if coupon is ctx.coupon else "discount", None, [], end,
                    (start, end))
    if sub["status"] == "trialing":
        if ctx.settings.get("trial_update_behavior") == "continue_trial":
            return plan("trial_continues", None, [], end, (start, end))
        new_end = money.add_interval(now, price["interval"], price["interval_count"])
        return plan("trial_ends", [period_line(price, quantity, now, new_end)], [], new_end,
                    (now, new_end))
    if is_downgrade(current, old_quantity, price, quantity, conditions):
        return plan("scheduled", None, [], end, (start, end))
    credit = [] if behavior == "none" else [Line(
        description=gettext("Unused time on %(quantity)s × %(product)s",
                            quantity=old_quantity, product=current["product_name"]),
        amount=-money.unused_part(_amount(current, old_quantity), start, end, now),
        price_id=current["id"], product_id=current["product_id"], quantity=old_quantity,
        proration=True, period_start=now, period_end=end)]
    if not same_interval:
        # A different interval starts a new period now, charged in full.
        new_end = money.add_interval(now, price["interval"], price["interval_count"])
        return plan("new_period", [*credit, period_line(price, quantity, now, new_end)], [],
                    new_end, (now, new_end))
    if behavior == "none":
        return plan("prorate", None, [], end, (start, end))
    lines = [*credit, Line(
        description=gettext("Remaining time on %(quantity)s × %(product)s",
                            quantity=quantity, product=price["product_name"]),
        amount=money.unused_part(_amount(price, quantity), start, end, now),
        price_id=price["id"], product_id=price["product_id"], quantity=quantity,
        proration=True, period_start=now, period_end=end)]
    if behavior == "always_invoice":
        return plan("prorate", lines, [], end, (start, end))
    return plan("prorate", None, lines, end, (start, end))
