"""The customer's home page: what they have, what they pay, what they paid."""

from __future__ import annotations

from dataclasses import dataclass

from portal import clock
from portal.account import queries
from portal.billing import upcoming
from portal.billing.invoices import pending_lines
from portal.billing.upcoming import Billing, Discount, Item, Upcoming, next_invoice
from portal.cancellation.pause import why_not_pausable
from portal.cancellation.service import why_not_cancellable
from portal.db import Database, Row
from portal.errors import NotFound
from portal.merchant.configuration import Configuration
from portal.payments import cards
from portal.subscriptions.service import WHY_NOT, why_not_changeable

LATEST_INVOICES = 5


@dataclass(frozen=True)
class SubscriptionView:
    subscription: Row
    billing: Billing
    scheduled: Item | None  # the plan a scheduled change brings at the period end
    next: Upcoming | None  # the next invoice: what the billing clock will write
    why_not_changeable: str | None  # a WHY_NOT message, or None when it can change
    can_cancel: bool
    can_pause: bool

    @property
    def items(self) -> list[Item]:
        return self.billing.items

    @property
    def discount(self) -> Discount | None:
        return self.billing.discount

    @property
    def ends_at(self) -> int | None:
        return upcoming.ends_at(self.subscription) if upcoming.ending(self.subscription) else None

    @property
    def can_undo_cancel(self) -> bool:
        """ "Don't cancel": it ends at the period end, which has not come yet."""
        return bool(self.subscription["cancel_at_period_end"]) and self.next is not None

    @property
    def paused_until(self) -> int | None:
        """The date payments resume, while they are paused."""
        pause = self.subscription["pause_collection"]
        if not upcoming.paused_at(self.subscription, clock.timestamp()):
            return None
        return int(pause["resumes_at"]) if pause.get("resumes_at") else None


@dataclass(frozen=True)
class Overview:
    customer: Row
    subscriptions: list[SubscriptionView]
    default_payment_method: Row | None
    invoices: list[Row]

    @property
    def card_expired(self) -> bool:
        """Whether the default card's expiry month is over (it is valid through that month)."""
        card = self.default_payment_method
        return card is not None and cards.expired(card, clock.now().date())


def _views(rows: list[Row], configuration: Configuration, balance: int) -> list[SubscriptionView]:
    """One view per subscription from the query's row per (item, waiting adjustment)."""
    features = configuration.features
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row["id"], []).append(row)
    views = []
    for group in grouped.values():
        first = group[0]
        items = {row["item_id"]: Item.of(row) for row in group}
        pending = {p["id"]: p for row in group if (p := queries.pending_of(row))}
        billing = Billing(
            first,
            list(items.values()),
            pending_lines(list(pending.values())),
            Discount.of(first),
            balance,
            list(pending),
        )
        scheduled_row = queries.scheduled_of(first)
        scheduled = None
        if scheduled_row is not None and first["pending_update"]:
            scheduled = Item.of(
                scheduled_row,
                quantity=first["pending_update"]["quantity"],
                item_id=billing.items[0].item_id,
            )
        reason = why_not_changeable(first, billing.items, features.subscription_update)
        business, now = configuration.business_name, clock.timestamp()
        views.append(
            SubscriptionView(
                first,
                billing,
                scheduled,
                next_invoice(billing, scheduled),
                WHY_NOT[reason] if reason else None,
                why_not_cancellable(first, features.subscription_cancel, business) is None,
                why_not_pausable(first, features.subscription_pause, business, now) is None,
            )
        )
    return views


async def overview(db: Database, customer_id: str, configuration: Configuration) -> Overview:
    customer = await queries.customer(db, customer_id)
    if customer is None:
        raise NotFound()
    rows = await queries.current_subscriptions(db, customer_id, clock.timestamp())
    return Overview(
        customer=customer,
        subscriptions=_views(rows, configuration, int(customer["balance"])),
        default_payment_method=queries.card_of(customer),
        invoices=await queries.latest_invoices(db, customer_id, LATEST_INVOICES),
    )
