"""The customer's home page: what they have, what they pay, what they paid."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.account import queries
from portal.db import Database, Row
from portal.errors import NotFound

LATEST_INVOICES = 5


@dataclass
class SubscriptionView:
    id: str
    status: str
    current_period_end: int
    cancel_at_period_end: bool
    cancel_at: int | None
    trial_end: int | None
    pause_collection: dict[str, Any] | None
    pending_update: dict[str, Any] | None
    items: list[Row] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return str(self.items[0]["currency"])

    @property
    def recurring_amount(self) -> int:
        """What the items cost per period before discounts and tax (licensed items only)."""
        return sum(item["unit_amount"] * item["quantity"] for item in self.items
                   if item["usage_type"] == "licensed")

    @property
    def ends_at(self) -> int | None:
        if self.cancel_at_period_end:
            return self.current_period_end
        return self.cancel_at


@dataclass
class Overview:
    customer: Row
    subscriptions: list[SubscriptionView]
    default_payment_method: Row | None
    invoices: list[Row]


def _group(rows: list[Row]) -> list[SubscriptionView]:
    views: dict[str, SubscriptionView] = {}
    for row in rows:
        view = views.get(row["id"])
        if view is None:
            view = views[row["id"]] = SubscriptionView(
                id=row["id"], status=row["status"],
                current_period_end=row["current_period_end"],
                cancel_at_period_end=row["cancel_at_period_end"], cancel_at=row["cancel_at"],
                trial_end=row["trial_end"], pause_collection=row["pause_collection"],
                pending_update=row["pending_update"],
            )
        view.items.append(row)
    return list(views.values())


async def overview(db: Database, customer_id: str) -> Overview:
    customer = await queries.customer(db, customer_id)
    if customer is None:
        raise NotFound()
    payment_method = None
    if customer["default_payment_method_id"]:
        payment_method = await queries.payment_method(
            db, customer_id, customer["default_payment_method_id"])
    return Overview(
        customer=customer,
        subscriptions=_group(await queries.current_subscription_items(db, customer_id)),
        default_payment_method=payment_method,
        invoices=await queries.latest_invoices(db, customer_id, LATEST_INVOICES),
    )
