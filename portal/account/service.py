"""The customer's home page: what they have, what they pay, what they paid."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal import clock
from portal.account import queries
from portal.billing.invoices import Coupon, Draft, Line
from portal.db import Database, Row
from portal.errors import NotFound
from portal.subscriptions.service import WHY_NOT, why_not_changeable

LATEST_INVOICES = 5


@dataclass
class SubscriptionView:
    row: Row
    items: list[Row] = field(default_factory=list)
    why_not_changeable: str | None = None  # a WHY_NOT message, or None when it can change
    balance: int = 0

    def __getattr__(self, name: str) -> Any:
        try:
            return self.row[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def currency(self) -> str:
        return str(self.items[0]["currency"])

    @property
    def next_invoice(self) -> Draft:
        """The next invoice as it stands: the plan, waiting prorations, discount, balance —
        computed by the same code that will write it."""
        item = self.items[0]
        lines = [Line("", i["unit_amount"] * i["quantity"], product_id=i["product_id"])
                 for i in self.items if i["usage_type"] == "licensed"]
        if item["pending_amount"]:
            lines.append(Line("", int(item["pending_amount"])))
        coupon = None
        if item["coupon_id"]:
            coupon = Coupon(item["coupon_id"], item["percent_off"], item["amount_off"],
                            item["applies_to_products"])
        return Draft(self.currency, lines, coupon, self.balance)

    @property
    def ends_at(self) -> int | None:
        if self.row["cancel_at_period_end"]:
            return int(self.row["current_period_end"])
        cancel_at: int | None = self.row["cancel_at"]
        return cancel_at


@dataclass
class Overview:
    customer: Row
    subscriptions: list[SubscriptionView]
    default_payment_method: Row | None
    invoices: list[Row]

    @property
    def card_expired(self) -> bool:
        """Whether the default card's expiry month is over (it is valid through that month)."""
        card = self.default_payment_method
        if card is None or not card["exp_year"] or not card["exp_month"]:
            return False
        today = clock.now()
        return (card["exp_year"], card["exp_month"]) < (today.year, today.month)


def _group(rows: list[Row], settings: dict[str, Any], balance: int) -> list[SubscriptionView]:
    views: dict[str, SubscriptionView] = {}
    for row in rows:
        view = views.get(row["id"])
        if view is None:
            view = views[row["id"]] = SubscriptionView(row, balance=balance)
        view.items.append(row)
    for view in views.values():
        reason = why_not_changeable(view.row, view.items, settings)
        view.why_not_changeable = WHY_NOT[reason] if reason else None
    return list(views.values())


async def overview(db: Database, customer_id: str, configuration: Row | None) -> Overview:
    customer = await queries.customer(db, customer_id)
    if customer is None:
        raise NotFound()
    payment_method = queries.card_of(customer)
    settings = (configuration or {}).get("features", {}).get("subscription_update", {})
    rows = await queries.current_subscription_items(db, customer_id, clock.timestamp())
    return Overview(
        customer=customer,
        subscriptions=_group(rows, settings, int(customer["balance"])),
        default_payment_method=payment_method,
        invoices=await queries.latest_invoices(db, customer_id, LATEST_INVOICES),
    )
