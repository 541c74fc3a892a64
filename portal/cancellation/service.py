"""Cancelling a subscription: what the customer loses and when, the money it moves, the reason
they give, the retention offer, the cancellation itself and its undo.

What the cancel page shows is computed by `load` for one moment; confirming computes it again
for that same moment (`changes.moment`) and writes exactly that, so the credit shown is the
credit written. Every write is one transaction with its event and its confirmation mail."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from portal import clock, mail
from portal.billing import changes, invoices, money, upcoming
from portal.billing import queries as billing_queries
from portal.billing.invoices import Coupon, Draft, Line, LineKind
from portal.billing.upcoming import Billing, Discount, Item, next_invoice
from portal.cancellation import errors, queries
from portal.core.statuses import LIVE, SubscriptionStatus
from portal.db import Database, Row
from portal.errors import PortalError
from portal.merchant.configuration import Configuration, SubscriptionCancel
from portal.subscriptions import service as subscriptions
from portal.subscriptions.errors import SubscriptionChanged
from portal.subscriptions.service import WHY_NOT

MAX_COMMENT = 500
"""The longest free-text comment kept with a cancellation."""


class When(StrEnum):
    PERIOD_END = "period_end"  # kept until the period ends, then ended by the billing clock
    NOW = "now"


@dataclass(frozen=True)
class RetentionOffer:
    """The configuration's retention coupon, as it would apply from now."""

    discount: Discount
    invoices: int | None  # how many of the next invoices it reduces (None: all of them)
    next_at: int
    next_amount: int  # the next invoice with the coupon
    next_full: int  # the same invoice without it
    currency: str


@dataclass(frozen=True)
class Cancellation:
    """What cancelling one subscription does, computed for one moment."""

    billing: Billing
    when: When
    at: int  # the moment it is computed for
    ends_at: int
    final: Draft | None  # the last invoice: written now (NOW) or at the period end
    prorated: bool  # the unused time is credited (NOW)
    unused: int  # what is credited for it, at the discount it was paid with
    reasons: list[str]  # the reasons offered (none when the configuration asks for none)
    offer: RetentionOffer | None

    @property
    def subscription(self) -> Row:
        return self.billing.subscription

    @property
    def items(self) -> list[Item]:
        return self.billing.items

    @property
    def version(self) -> int:
        return int(self.subscription["version"])

    @property
    def earlier(self) -> int:
        """The adjustments of earlier changes the final invoice carries."""
        return sum(line.amount for line in self.billing.pending) if self.final else 0

    @property
    def credit(self) -> int:
        """What the final invoice adds to the customer's credit balance."""
        return max(0, self.final.balance - self.final.balance_after) if self.final else 0


@dataclass(frozen=True)
class Request:
    """The customer's confirmation, as the form sends it."""

    version: int
    at: int | None  # the moment the confirmation page was computed for
    reason: str = ""
    comment: str = ""
    offer_declined: bool = False


def why_not_cancellable(
    subscription: Row, cancel: SubscriptionCancel, business: str
) -> PortalError | None:
    """Why this subscription cannot be cancelled here, or None when it can."""
    if subscription["status"] not in LIVE:
        return errors.SubscriptionEnded()
    if upcoming.ending(subscription):
        return errors.AlreadyEnding(date=clock.to_datetime(upcoming.ends_at(subscription)))
    if subscription["schedule_id"]:
        return errors.CancelNotAllowed(WHY_NOT["schedule"], business=business)
    if not cancel.enabled:
        return errors.CancelNotAllowed(business=business)
    return None


async def load(
    db: Database,
    configuration: Configuration,
    customer_id: str,
    subscription_id: str,
    at: int | None = None,
) -> Cancellation:
    """What cancelling does at `at` (a moment within the last hour; now by default)."""
    subscription = await subscriptions.scoped(db, customer_id, subscription_id)
    cancel = configuration.features.subscription_cancel
    refused = why_not_cancellable(subscription, cancel, configuration.business_name)
    if refused is not None:
        raise refused
    moment = changes.moment(at)
    billing, scheduled = await upcoming.load(db, subscription, at=moment)
    reasons = cancel.cancellation_reason
    offered: list[str] = list(reasons.options) if reasons.enabled else []
    offer = await _retention_offer(db, cancel, billing, scheduled, moment)
    if cancel.mode == "immediately":
        # Only a period that was paid for is credited: not a trial, not an unpaid period.
        prorated = (
            cancel.proration_behavior != "none"
            and subscription["status"] == SubscriptionStatus.ACTIVE
        )
        unused = unused_time(billing, moment) if prorated else []
        coupon = _coupon_at(billing, moment)
        lines = unused + billing.pending
        return Cancellation(
            billing,
            When.NOW,
            moment,
            moment,
            Draft(billing.currency, lines, coupon, billing.balance) if lines else None,
            prorated,
            -Draft(billing.currency, unused, coupon).total,
            offered,
            offer,
        )
    last = next_invoice(
        billing.changed(subscription={**subscription, "cancel_at_period_end": True})
    )
    return Cancellation(
        billing,
        When.PERIOD_END,
        moment,
        int(subscription["current_period_end"]),
        last.draft if last else None,
        False,
        0,
        offered,
        offer,
    )


def unused_time(billing: Billing, at: int) -> list[Line]:
    """The credit for the rest of the period after `at`, one line per licensed item."""
    sub = billing.subscription
    start, end = int(sub["current_period_start"]), int(sub["current_period_end"])
    lines = [
        item.rest_of_period(LineKind.UNUSED_TIME, start, end, at)
        for item in billing.items
        if item.usage_type == "licensed"
    ]
    return [line for line in lines if line.amount]


def _coupon_at(billing: Billing, at: int) -> Coupon | None:
    discount = billing.discount
    return discount.coupon if discount and discount.in_force(at) else None


async def _retention_offer(
    db: Database,
    cancel: SubscriptionCancel,
    billing: Billing,
    scheduled: Item | None,
    at: int,
) -> RetentionOffer | None:
    """The retention coupon, when it can be offered: once per subscription, while the coupon
    can be redeemed, when no discount is in force, and only if it lowers the next invoice."""
    sub = billing.subscription
    if cancel.retention_coupon is None or sub["retention_offer"] is not None:
        return None
    if billing.discount is not None and billing.discount.in_force(at):
        return None
    coupon = await queries.coupon(db, cancel.retention_coupon)
    if coupon is None or not redeemable(coupon, billing, at):
        return None
    discount = Discount.starting(coupon, at)
    full = next_invoice(billing, scheduled)
    kept = next_invoice(billing.changed(discount=discount), scheduled)
    if full is None or full.draft is None or kept is None or kept.draft is None:
        return None
    if not kept.draft.discount:
        return None  # nothing it would take off
    return RetentionOffer(
        discount,
        _invoices_reduced(discount, billing, kept.at),
        kept.at,
        kept.draft.amount_due,
        full.draft.amount_due,
        billing.currency,
    )


def redeemable(coupon: Row, billing: Billing, at: int) -> bool:
    if not coupon["valid"] or (coupon["redeem_by"] and coupon["redeem_by"] <= at):
        return False
    if coupon["max_redemptions"] and coupon["times_redeemed"] >= coupon["max_redemptions"]:
        return False
    if coupon["amount_off"] and coupon["currency"] != billing.currency:
        return False
    products = coupon["applies_to_products"]
    return products is None or any(item.product_id in products for item in billing.items)


def _invoices_reduced(discount: Discount, billing: Billing, first: int) -> int | None:
    """How many renewals from `first` on fall while the discount is in force."""
    if discount.duration == "forever":
        return None
    if discount.duration == "once":
        return 1
    item, count, at = billing.items[0], 0, first
    while discount.in_force(at) and count < 1000:
        count += 1
        at = money.add_interval(at, item.interval, item.interval_count)
    return count


def cancellation_details(cancellation: Cancellation, request: Request) -> dict[str, Any]:
    """The reason as stored (`cancellation_details`), once checked."""
    reason = request.reason.strip()
    if reason and reason not in cancellation.reasons:
        raise errors.ReasonNotOffered()
    comment = request.comment.strip()
    if len(comment) > MAX_COMMENT:
        raise errors.CommentTooLong(maximum=MAX_COMMENT)
    return {
        "reason": "cancellation_requested",
        "feedback": reason or None,
        "comment": comment or None,
    }


async def cancel(
    db: Database,
    configuration: Configuration,
    customer_id: str,
    subscription_id: str,
    request: Request,
    *,
    locale: str,
    test_mode: bool,
) -> Cancellation:
    """Cancel as the confirmation page showed it: at the period end, or now with the final
    invoice (its credit and the waiting adjustments) written in the same transaction."""
    async with db.transaction():
        cancellation = await load(db, configuration, customer_id, subscription_id, request.at)
        if request.version != cancellation.version:
            raise SubscriptionChanged()
        sub, at = cancellation.subscription, cancellation.at
        values: dict[str, Any] = {
            "canceled_at": at,
            "cancellation_details": cancellation_details(cancellation, request),
        }
        if request.offer_declined and cancellation.offer is not None:
            values["retention_offer"] = "declined"
        ended = cancellation.when == When.NOW
        if not ended:
            values["cancel_at_period_end"] = True
        else:
            values.update(status=SubscriptionStatus.CANCELED, ended_at=at)
            if sub["status"] == SubscriptionStatus.TRIALING:
                values["trial_end"] = at  # the trial ends with it
        await changes.update(
            db,
            sub,
            request.version,
            values,
            at=at,
            event="customer.subscription.deleted" if ended else "customer.subscription.updated",
        )
        if ended and cancellation.final is not None:
            billing = cancellation.billing
            discount = billing.discount if cancellation.final.coupon else None
            await invoices.write(
                db,
                cancellation.final,
                customer_id=customer_id,
                subscription_id=subscription_id,
                billing_reason="subscription_update",
                period_start=at,
                period_end=at,
                discount_id=discount.id if discount else None,
                pending_item_ids=billing.pending_item_ids,
                auto_collect=sub["collection_method"] == "charge_automatically",
            )
        await send_confirmation(
            db,
            configuration,
            customer_id,
            "subscription_canceled",
            {
                "plan": plan_names(cancellation.items),
                "ends_at": cancellation.ends_at,
                "now": ended,
                "credit": cancellation.credit,
                "final": cancellation.final.amount_due if cancellation.final else 0,
                "currency": cancellation.billing.currency,
            },
            locale=locale,
            test_mode=test_mode,
        )
    return cancellation


async def accept_offer(
    db: Database,
    configuration: Configuration,
    customer_id: str,
    subscription_id: str,
    version: int,
) -> RetentionOffer:
    """Keep the subscription with the retention coupon, exactly as offered."""
    async with db.transaction():
        cancellation = await load(db, configuration, customer_id, subscription_id)
        if version != cancellation.version:
            raise SubscriptionChanged()
        offer = cancellation.offer
        if offer is None:
            raise errors.OfferUnavailable()
        discount = offer.discount
        if not await billing_queries.redeem_coupon(db, discount.coupon.id):
            raise errors.OfferUnavailable()
        await changes.update(
            db,
            cancellation.subscription,
            version,
            {"retention_offer": "accepted"},
            at=cancellation.at,
            previous={"retention_offer": None, "discounts": []},
            discount=changes.NewDiscount(
                discount.id, discount.coupon.id, None, discount.start, discount.end
            ),
        )
    return offer


async def undo(
    db: Database,
    configuration: Configuration,
    customer_id: str,
    subscription_id: str,
    version: int,
    *,
    locale: str,
    test_mode: bool,
) -> None:
    """Keep a subscription that was set to end at its period end, as it was before."""
    async with db.transaction():
        sub = await subscriptions.scoped(db, customer_id, subscription_id)
        if (
            not sub["cancel_at_period_end"]
            or sub["status"] not in LIVE
            or sub["current_period_end"] <= clock.timestamp()
        ):
            raise errors.NotEnding()
        values = {"cancel_at_period_end": False, "canceled_at": None, "cancellation_details": None}
        await changes.update(db, sub, version, values)
        items = await billing_queries.items(db, customer_id, subscription_id)
        await send_confirmation(
            db,
            configuration,
            customer_id,
            "subscription_kept",
            {"plan": plan_names([Item.of(row) for row in items])},
            locale=locale,
            test_mode=test_mode,
        )


def plan_names(items: list[Item]) -> str:
    return ", ".join(item.product_name for item in items)


async def send_confirmation(
    db: Database,
    configuration: Configuration,
    customer_id: str,
    template: str,
    context: dict[str, Any],
    *,
    locale: str,
    test_mode: bool,
) -> None:
    """A confirmation to the customer's email on file, in their language."""
    await mail.queue_to_customer(
        db,
        customer_id,
        template=template,
        locale=locale,
        context={**mail.business_context(configuration), **context},
        test_mode=test_mode,
    )
