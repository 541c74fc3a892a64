"""What a change to a subscription costs, now and at the next invoice.

`plan_change` is pure: from the subscription's `Billing` and the customer's choice it computes
the invoice made now (if any), the adjustments carried to the next invoice, the `Change` to
write, and the next invoice as it will then stand — with `next_invoice`, the computation the
overview and the billing clock use. The preview shows the result; confirming writes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from portal.billing import money
from portal.billing.changes import Change, NewDiscount
from portal.billing.invoices import Draft, Line, LineKind
from portal.billing.upcoming import Billing, Discount, Item, Upcoming, next_invoice
from portal.core.statuses import SubscriptionStatus
from portal.merchant.configuration import (
    ProrationBehavior,
    ScheduleConditionType,
    SubscriptionUpdate,
)


class Mode(StrEnum):
    UNCHANGED = "unchanged"  # the same plan and no new code: nothing to confirm
    DISCOUNT = "discount"  # the same plan with a promotion code
    SCHEDULED = "scheduled"  # a downgrade that waits for the period end
    PRORATE = "prorate"  # a new plan now, in the same period
    NEW_PERIOD = "new_period"  # another billing interval: a new period starts now
    TRIAL_CONTINUES = "trial_continues"
    TRIAL_ENDS = "trial_ends"


@dataclass(frozen=True)
class Rules:
    """The configuration's `subscription_update` rules that shape a change."""

    proration_behavior: ProrationBehavior = "create_prorations"
    schedule_conditions: tuple[ScheduleConditionType, ...] = ()
    continue_trial: bool = False

    @classmethod
    def of(cls, update: SubscriptionUpdate) -> Rules:
        return cls(
            update.proration_behavior,
            tuple(c.type for c in update.schedule_at_period_end.conditions),
            update.trial_update_behavior == "continue_trial",
        )


@dataclass(frozen=True)
class Plan:
    mode: Mode
    item: Item  # the chosen price and quantity
    now: Draft | None  # the invoice made and charged on confirming, if any
    pending: list[Line]  # adjustments carried to the next invoice
    next: Upcoming | None  # the next invoice as it stands after the change
    change: Change | None  # what confirming writes (None: nothing to confirm)
    at: int  # the moment it was computed for
    discount_now: Discount | None  # the discount the invoice made now uses
    period_end: int  # the end of the period after the change

    @property
    def due_now(self) -> int:
        return self.now.amount_due if self.now else 0


def is_downgrade(current: Item, item: Item, conditions: tuple[ScheduleConditionType, ...]) -> bool:
    """Whether the configuration wants this change at the period end instead of now."""
    shorter = money.interval_seconds(item.interval, item.interval_count) < money.interval_seconds(
        current.interval, current.interval_count
    )
    return ("decreasing_item_amount" in conditions and item.amount < current.amount) or (
        "shortening_interval" in conditions and shorter
    )


@dataclass(frozen=True)
class Choice:
    """What a change does, before its money is worked out."""

    mode: Mode
    now_lines: list[Line] | None = None  # invoiced now
    pending: list[Line] = field(default_factory=list)  # carried to the next invoice
    period: tuple[int, int] | None = None  # a new period, from now
    values: dict[str, Any] = field(default_factory=dict)  # subscription columns it sets
    replace_item: bool = True  # the item takes the new price and quantity now


def choose(billing: Billing, rules: Rules, item: Item, *, new_discount: bool, now: int) -> Choice:
    """What changing to `item` at `now` does under the configuration's rules."""
    sub, current = billing.subscription, billing.items[0]
    start, end = int(sub["current_period_start"]), int(sub["current_period_end"])
    if item.price_id == current.price_id and item.quantity == current.quantity:
        return Choice(Mode.DISCOUNT if new_discount else Mode.UNCHANGED, replace_item=False)
    new_end = money.add_interval(now, item.interval, item.interval_count)
    if sub["status"] == SubscriptionStatus.TRIALING:
        if rules.continue_trial:
            return Choice(Mode.TRIAL_CONTINUES)
        return Choice(
            Mode.TRIAL_ENDS,
            now_lines=[item.period_line(now, new_end)],
            period=(now, new_end),
            values={"status": SubscriptionStatus.ACTIVE, "trial_end": now},
        )
    if is_downgrade(current, item, rules.schedule_conditions):
        return Choice(
            Mode.SCHEDULED,
            replace_item=False,
            values={"pending_update": {"price": item.price_id, "quantity": item.quantity}},
        )
    behavior = rules.proration_behavior
    credit = []
    if behavior != "none":
        credit = [current.rest_of_period(LineKind.UNUSED_TIME, start, end, now)]
    if (item.interval, item.interval_count) != (current.interval, current.interval_count):
        return Choice(
            Mode.NEW_PERIOD,
            now_lines=[*credit, item.period_line(now, new_end)],
            period=(now, new_end),
        )
    if behavior == "none":
        return Choice(Mode.PRORATE)
    lines = [*credit, item.rest_of_period(LineKind.REMAINING_TIME, start, end, now)]
    if behavior == "always_invoice":
        return Choice(Mode.PRORATE, now_lines=lines)
    return Choice(Mode.PRORATE, pending=lines)


def plan_change(
    billing: Billing,
    scheduled: Item | None,
    rules: Rules,
    item: Item,
    discount: Discount | None,
    *,
    version: int,
    now: int,
) -> Plan:
    """`item` is the chosen price and quantity; `discount` a new promotion code's discount
    (starting now), or None to keep the one in force; `scheduled` the change already
    waiting for the period end, if any."""
    choice = choose(billing, rules, item, new_discount=discount is not None, now=now)
    sub = billing.subscription
    values = dict(choice.values)
    if choice.period is not None:
        values.update(current_period_start=choice.period[0], current_period_end=choice.period[1])
    if choice.mode not in (Mode.DISCOUNT, Mode.UNCHANGED, Mode.SCHEDULED):
        values["pending_update"] = None  # a change made now replaces a scheduled one
    in_force = discount or billing.discount
    coupon = in_force.coupon if in_force and in_force.in_force(now) else None
    now_draft = (
        None
        if choice.now_lines is None
        else Draft(item.currency, choice.now_lines, coupon, billing.balance)
    )
    used_up = (
        now_draft is not None
        and coupon is not None
        and in_force is not None
        and in_force.duration == "once"
    )
    after = billing.changed(
        subscription={**sub, **values},
        items=[item, *billing.items[1:]] if choice.replace_item else billing.items,
        pending=[*billing.pending, *choice.pending],
        discount=None if used_up else in_force,
        balance=now_draft.balance_after if now_draft else billing.balance,
    )
    still = (
        scheduled
        if choice.mode in (Mode.DISCOUNT, Mode.UNCHANGED)
        else (item if choice.mode == Mode.SCHEDULED else None)
    )
    change = (
        None
        if choice.mode == Mode.UNCHANGED
        else _change(billing, choice, values, item, discount, version=version, now=now)
    )
    return Plan(
        choice.mode,
        item,
        now_draft,
        choice.pending,
        next_invoice(after, still),
        change,
        now,
        in_force if coupon is not None and now_draft is not None else None,
        int(after.subscription["current_period_end"]),
    )


def _change(
    billing: Billing,
    choice: Choice,
    values: dict[str, Any],
    item: Item,
    discount: Discount | None,
    *,
    version: int,
    now: int,
) -> Change:
    """What confirming writes: the subscription's columns, its item, a new discount and the
    adjustments for the next invoice."""
    sub, current = billing.subscription, billing.items[0]
    replace = choice.replace_item
    return Change(
        customer_id=sub["customer_id"],
        subscription_id=sub["id"],
        version=version,
        at=now,
        values=values,
        previous={
            **{key: sub[key] for key in values},
            **({"price": current.price_id, "quantity": current.quantity} if replace else {}),
        },
        item_id=current.item_id if replace else None,
        price_id=item.price_id if replace else None,
        quantity=item.quantity if replace else None,
        discount=NewDiscount(
            discount.id, discount.coupon.id, discount.promotion_code_id, now, discount.end
        )
        if discount
        else None,
        pending=[_item_row(line, item.currency) for line in choice.pending],
    )


def _item_row(line: Line, currency: str) -> dict[str, Any]:
    """An adjustment as the invoice item it is stored as (data, never worded text)."""
    return {
        "kind": line.kind,
        "price_id": line.price_id,
        "description": None,
        "currency": currency,
        "amount": line.amount,
        "quantity": line.quantity,
        "proration": line.proration,
        "period_start": line.period_start,
        "period_end": line.period_end,
    }
