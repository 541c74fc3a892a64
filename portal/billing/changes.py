"""A confirmed change to a subscription, as data, and the ledger writes that make it.

A change paid now is written only once its payment succeeds; until then it travels on its
draft invoice (`change_on_payment`), so the process that records the payment — the web
request, or a worker after that request stopped — can make it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from portal import clock, objects
from portal.billing import events, queries
from portal.db import Database, Row, new_id
from portal.subscriptions.errors import SubscriptionChanged

PREVIEW_VALID_FOR = 3600


def moment(at: int | None) -> int:
    """The moment to compute a confirmed preview for: the preview's own second (`at`), so
    that what is written is what was shown; now without one. A preview older than an hour
    is stale (SubscriptionChanged)."""
    now = clock.timestamp()
    if at is None:
        return now
    if not now - PREVIEW_VALID_FOR <= at <= now:
        raise SubscriptionChanged()
    return at


@dataclass(frozen=True)
class NewDiscount:
    id: str
    coupon_id: str
    promotion_code_id: str | None
    start: int
    end: int | None


@dataclass(frozen=True)
class Change:
    customer_id: str
    subscription_id: str
    version: int  # the subscription's version it was computed for
    at: int
    values: dict[str, Any]  # subscription columns it sets (period, status, pending_update)
    previous: dict[str, Any]  # their values before, for the event
    item_id: str | None = None  # the item whose price and quantity it replaces now
    price_id: str | None = None
    quantity: int | None = None
    discount: NewDiscount | None = None
    pending: list[Row] = field(default_factory=list)  # invoice items it adds
    event: str = "customer.subscription.updated"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        discount = data.get("discount")
        return cls(**{**data, "discount": NewDiscount(**discount) if discount else None})

    def reserved(self) -> Change:
        """The same change, for the version taken while its payment is made."""
        return Change(**{**self.__dict__, "version": self.version + 1})


async def update(
    db: Database,
    subscription: Row,
    version: int,
    values: dict[str, Any],
    *,
    at: int | None = None,
    previous: dict[str, Any] | None = None,
    **change: Any,
) -> None:
    """Set `values` on a subscription read at `version` (its previous values, for the event,
    from `subscription` unless given): a `Change` of columns only, written at once."""
    await write(
        db,
        Change(
            customer_id=subscription["customer_id"],
            subscription_id=subscription["id"],
            version=version,
            at=clock.timestamp() if at is None else at,
            values=values,
            previous={key: subscription[key] for key in values} if previous is None else previous,
            **change,
        ),
    )


async def write(db: Database, change: Change) -> None:
    """Make the change in the caller's transaction; SubscriptionChanged when the subscription
    moved on since it was computed (another tab, the billing clock)."""
    if not await queries.bump_version(
        db, change.customer_id, change.subscription_id, change.version, change.values
    ):
        raise SubscriptionChanged()
    if change.item_id is not None:
        await queries.replace_item(
            db,
            change.customer_id,
            change.subscription_id,
            change.item_id,
            change.price_id,
            change.quantity,
        )
    if change.discount is not None:
        await queries.end_discounts(db, change.customer_id, change.subscription_id, change.at)
        await queries.insert_discount(
            db,
            customer_id=change.customer_id,
            subscription_id=change.subscription_id,
            created=change.at,
            **asdict(change.discount),
        )
    if change.pending:
        await queries.insert_pending_items(
            db,
            [
                {
                    **row,
                    "id": new_id("ii"),
                    "customer_id": change.customer_id,
                    "subscription_id": change.subscription_id,
                    "invoice_id": None,
                    "created": change.at,
                }
                for row in change.pending
            ],
        )
    await events.record(
        db,
        change.event,
        await objects.subscription(db, change.subscription_id),
        change.previous,
    )
