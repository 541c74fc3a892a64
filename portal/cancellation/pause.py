"""Pausing payments: for a chosen number of days, invoices that fall in the pause are voided
(`pause_collection.behavior = void`); the customer may resume early, and the billing clock
resumes the subscription on the date (billing/renewals.py)."""

from __future__ import annotations

from dataclasses import dataclass

from portal import clock
from portal.billing import changes, money, upcoming
from portal.billing import queries as billing_queries
from portal.billing.upcoming import Item
from portal.cancellation import errors
from portal.cancellation.service import plan_names, send_confirmation
from portal.core.statuses import SubscriptionStatus
from portal.db import Database, Row
from portal.errors import PortalError
from portal.merchant.configuration import Configuration, SubscriptionPause
from portal.subscriptions import service as subscriptions
from portal.subscriptions.errors import SubscriptionChanged
from portal.subscriptions.service import WHY_NOT

DAY = 86400
LENGTHS = (7, 14, 30, 60, 90)
"""The pauses offered, in days (up to the configuration's maximum, which is offered too)."""


@dataclass(frozen=True)
class Length:
    days: int
    resumes_at: int
    skipped: list[int]  # the renewals that fall in the pause: their invoices are voided


@dataclass(frozen=True)
class PauseOffer:
    subscription: Row
    items: list[Item]
    lengths: list[Length]
    maximum_days: int

    @property
    def version(self) -> int:
        return int(self.subscription["version"])


def why_not_pausable(
    subscription: Row, pause: SubscriptionPause, business: str, now: int
) -> PortalError | None:
    """Why payments of this subscription cannot be paused, or None when they can."""
    if upcoming.paused_at(subscription, now):
        resumes_at = subscription["pause_collection"].get("resumes_at")
        return errors.AlreadyPaused(date=clock.to_datetime(int(resumes_at or now)))
    if upcoming.ending(subscription):
        return errors.PauseWhileEnding()
    status = subscription["status"]
    if status == SubscriptionStatus.PAST_DUE:
        return errors.PauseWhilePastDue()
    if status == SubscriptionStatus.TRIALING:
        return errors.PauseDuringTrial()
    if status != SubscriptionStatus.ACTIVE:
        return errors.PauseNotAllowed(business=business)
    if subscription["schedule_id"]:
        return errors.PauseNotAllowed(WHY_NOT["schedule"], business=business)
    if not pause.enabled:
        return errors.PauseNotAllowed(business=business)
    return None


def _skipped(subscription: Row, item: Item, until: int) -> list[int]:
    """The renewals before `until`: the billing clock voids their invoices."""
    at, found = int(subscription["current_period_end"]), list[int]()
    while at < until and len(found) < 100:
        found.append(at)
        at = money.add_interval(at, item.interval, item.interval_count)
    return found


def length(subscription: Row, item: Item, days: int, now: int) -> Length:
    resumes_at = now + days * DAY
    return Length(days, resumes_at, _skipped(subscription, item, resumes_at))


async def offer(
    db: Database, configuration: Configuration, customer_id: str, subscription_id: str
) -> PauseOffer:
    subscription = await subscriptions.scoped(db, customer_id, subscription_id)
    pause = configuration.features.subscription_pause
    now = clock.timestamp()
    refused = why_not_pausable(subscription, pause, configuration.business_name, now)
    if refused is not None:
        raise refused
    items = [Item.of(row) for row in await billing_queries.items(db, customer_id, subscription_id)]
    days = sorted({d for d in LENGTHS if d < pause.maximum_days} | {pause.maximum_days})
    return PauseOffer(
        subscription,
        items,
        [length(subscription, items[0], d, now) for d in days],
        pause.maximum_days,
    )


async def pause(
    db: Database,
    configuration: Configuration,
    customer_id: str,
    subscription_id: str,
    version: int,
    days: int,
    *,
    locale: str,
    test_mode: bool,
) -> Length:
    async with db.transaction():
        paused = await offer(db, configuration, customer_id, subscription_id)
        if not 1 <= days <= paused.maximum_days:
            raise errors.PauseLength(maximum=paused.maximum_days)
        if version != paused.version:
            raise SubscriptionChanged()
        chosen = length(paused.subscription, paused.items[0], days, clock.timestamp())
        pause_collection = {"behavior": "void", "resumes_at": chosen.resumes_at}
        await changes.update(
            db, paused.subscription, version, {"pause_collection": pause_collection}
        )
        await send_confirmation(
            db,
            configuration,
            customer_id,
            "subscription_paused",
            {"plan": plan_names(paused.items), "resumes_at": chosen.resumes_at},
            locale=locale,
            test_mode=test_mode,
        )
    return chosen


async def resume(db: Database, customer_id: str, subscription_id: str, version: int) -> None:
    """Resume payments before the pause's end: the next renewal is invoiced as usual."""
    async with db.transaction():
        subscription = await subscriptions.scoped(db, customer_id, subscription_id)
        if not upcoming.paused_at(subscription, clock.timestamp()):
            raise errors.NotPaused()
        await changes.update(db, subscription, version, {"pause_collection": None})
