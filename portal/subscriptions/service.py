"""Changing a subscription: what may be changed, the preview, and the change itself."""

from __future__ import annotations

from dataclasses import dataclass

from portal import clock
from portal.billing import changes, collection, invoices, upcoming
from portal.billing import queries as billing_queries
from portal.billing.money import Money
from portal.billing.upcoming import Billing, Discount, Item
from portal.core.statuses import LIVE
from portal.core.text import N_
from portal.db import Database, Row
from portal.merchant.configuration import Configuration, SubscriptionUpdate
from portal.payments.processor import PaymentProcessor
from portal.subscriptions import queries
from portal.subscriptions.errors import (
    PromotionCodeCurrency,
    PromotionCodeExpired,
    PromotionCodeFirstTimeOnly,
    PromotionCodeInactive,
    PromotionCodeMinimum,
    PromotionCodeProduct,
    PromotionCodeUnknown,
    PromotionCodeUsedUp,
    QuantityOutOfRange,
    SubscriptionChanged,
    SubscriptionNotFound,
    UpdateNotAllowed,
)
from portal.subscriptions.plan import Plan, Rules, plan_change

CHANGEABLE_STATUSES = LIVE
MAX_QUANTITY = 10_000
"""The most of one product a subscription can hold, whatever the configuration says."""

# Why a subscription cannot be changed here, in the customer's words.
WHY_NOT = {
    "schedule": N_(
        "This subscription follows a schedule agreed with %(business)s. Contact them to change it."
    ),
    "items": N_("This subscription has several parts. Contact %(business)s to change it."),
    "metered": N_("This subscription is billed by usage. Contact %(business)s to change it."),
    "send_invoice": N_("This subscription is paid by invoice. Contact %(business)s to change it."),
    "status": N_("This subscription can no longer be changed."),
    "disabled": N_(
        "Plan changes are not available here. Contact %(business)s to change your plan."
    ),
}


@dataclass(frozen=True)
class Option:
    product_id: str
    product_name: str
    description: str | None
    prices: list[Row]
    min_quantity: int
    max_quantity: int
    adjustable: bool


@dataclass(frozen=True)
class Offer:
    """What the customer may choose for one subscription, and its billing as it stands."""

    billing: Billing
    scheduled: Item | None  # a change already waiting for the period end
    rules: Rules
    options: list[Option]
    allow_promotion_code: bool

    @property
    def subscription(self) -> Row:
        return self.billing.subscription

    @property
    def current(self) -> Item:
        return self.billing.items[0]

    def option_for(self, price_id: str) -> tuple[Option, Row]:
        for option in self.options:
            for price in option.prices:
                if price["id"] == price_id:
                    return option, price
        raise UpdateNotAllowed()


def why_not_changeable(
    subscription: Row, items: list[Item], update: SubscriptionUpdate
) -> str | None:
    if subscription["schedule_id"]:
        return "schedule"
    if len(items) != 1:
        return "items"
    if items[0].usage_type == "metered":
        return "metered"
    if subscription["collection_method"] == "send_invoice":
        return "send_invoice"
    if subscription["status"] not in CHANGEABLE_STATUSES:
        return "status"
    if not update.enabled or not update.products:
        return "disabled"
    return None


async def offer(
    db: Database, configuration: Configuration, customer_id: str, subscription_id: str
) -> Offer:
    """Load a subscription for a change; UpdateNotAllowed says why when it cannot change."""
    subscription = await scoped(db, customer_id, subscription_id)
    billing, scheduled = await upcoming.load(db, subscription, at=clock.timestamp())
    update = configuration.features.subscription_update
    reason = why_not_changeable(subscription, billing.items, update)
    if reason is not None:
        raise UpdateNotAllowed(WHY_NOT[reason], business=configuration.business_name)
    allowed = update.default_allowed_updates
    current = billing.items[0]
    prices = await queries.prices_of_products(db, [p.product for p in update.products])
    options = []
    for product in update.products:
        offered = [
            p
            for p in prices
            if p["product_id"] == product.product
            and p["id"] in product.prices
            and p["currency"] == current.currency
        ]
        if "price" not in allowed:
            offered = [p for p in offered if p["id"] == current.price_id]
        if offered:
            quantity = product.adjustable_quantity
            options.append(
                Option(
                    product.product,
                    offered[0]["product_name"],
                    offered[0]["product_description"],
                    offered,
                    quantity.minimum,
                    min(quantity.maximum or MAX_QUANTITY, MAX_QUANTITY),
                    quantity.enabled and "quantity" in allowed,
                )
            )
    return Offer(billing, scheduled, Rules.of(update), options, "promotion_code" in allowed)


async def promotion_discount(
    db: Database, offer: Offer, code: str, price: Row, quantity: int, now: int
) -> Discount:
    """Check a promotion code for this change; each failure has its own error."""
    promo = await queries.promotion(db, code.strip().casefold())
    customer_id = offer.subscription["customer_id"]
    if promo is None or (promo["customer_id"] and promo["customer_id"] != customer_id):
        raise PromotionCodeUnknown(code=code.strip())
    code = promo["code"]
    if not promo["active"] or not promo["valid"]:
        raise PromotionCodeInactive(code=code)
    if (promo["expires_at"] and promo["expires_at"] <= now) or (
        promo["redeem_by"] and promo["redeem_by"] <= now
    ):
        raise PromotionCodeExpired(code=code)
    if (promo["max_redemptions"] and promo["times_redeemed"] >= promo["max_redemptions"]) or (
        promo["coupon_max_redemptions"]
        and promo["coupon_times_redeemed"] >= promo["coupon_max_redemptions"]
    ):
        raise PromotionCodeUsedUp(code=code)
    if promo["first_time_transaction"] and await queries.has_paid(db, customer_id):
        raise PromotionCodeFirstTimeOnly(code=code)
    currency = price["currency"]
    if (
        promo["coupon_currency"] and promo["amount_off"] and promo["coupon_currency"] != currency
    ) or (promo["minimum_amount_currency"] and promo["minimum_amount_currency"] != currency):
        raise PromotionCodeCurrency(code=code, currency=currency.upper())
    if promo["minimum_amount"] and price["unit_amount"] * quantity < promo["minimum_amount"]:
        raise PromotionCodeMinimum(code=code, amount=Money(promo["minimum_amount"], currency))
    products = promo["applies_to_products"]
    if products is not None and price["product_id"] not in products:
        raise PromotionCodeProduct(code=code, product=price["product_name"])
    return Discount.starting(promo, now, code=promo["code"], promotion_code_id=promo["id"])


@dataclass(frozen=True)
class Request:
    price_id: str
    quantity: int
    promotion_code: str = ""
    at: int | None = None  # the moment the confirmed preview was computed for


async def preview(db: Database, offer: Offer, request: Request) -> Plan:
    """The plan for a requested change, checked against what the offer allows."""
    option, price = offer.option_for(request.price_id)
    quantity = request.quantity
    current = offer.current
    if not option.adjustable:
        quantity = current.quantity if price["product_id"] == current.product_id else 1
    elif not option.min_quantity <= quantity <= option.max_quantity:
        raise QuantityOutOfRange(minimum=option.min_quantity, maximum=option.max_quantity)
    now = changes.moment(request.at)
    discount = None
    if request.promotion_code.strip():
        if not offer.allow_promotion_code:
            raise UpdateNotAllowed()
        discount = await promotion_discount(db, offer, request.promotion_code, price, quantity, now)
    item = Item.of({**price, "price_id": price["id"]}, quantity=quantity, item_id=current.item_id)
    return plan_change(
        offer.billing,
        offer.scheduled,
        offer.rules,
        item,
        discount,
        version=int(offer.subscription["version"]),
        now=now,
    )


async def apply(
    db: Database, processor: PaymentProcessor, offer: Offer, request: Request, version: int
) -> Plan:
    """Make the change exactly as previewed. A change with nothing to pay now is written in
    one transaction. One with something to pay is written only once its payment succeeds:
    its draft invoice carries it, and a declined payment (PaymentDeclined) leaves the
    subscription, its invoices and the balance as they were."""
    if version != offer.subscription["version"]:
        raise SubscriptionChanged()
    async with db.transaction():
        plan = await preview(db, offer, request)
        change = plan.change
        if change is None:
            return plan
        sub = offer.subscription
        if change.discount is not None and not await billing_queries.redeem(
            db, str(change.discount.promotion_code_id), change.discount.coupon_id
        ):
            raise PromotionCodeUsedUp(code=request.promotion_code.strip())
        if plan.now is None or not plan.now.amount_due:
            await changes.write(db, change)
            if plan.now is not None:
                await _invoice_now(db, plan, change)
            return plan
        # Taken now, so that a second tab or a double submit waits for this payment.
        if not await billing_queries.bump_version(db, sub["customer_id"], sub["id"], version, {}):
            raise SubscriptionChanged()
        draft = await _invoice_now(db, plan, change.reserved())
    await collection.pay_for_change(db, processor, sub["customer_id"], draft.id)
    return plan


async def scoped(db: Database, customer_id: str, subscription_id: str) -> Row:
    """The customer's subscription; SubscriptionNotFound for anyone else's."""
    subscription = await billing_queries.subscription(db, customer_id, subscription_id)
    if subscription is None:
        raise SubscriptionNotFound()
    return subscription


async def keep_current_plan(
    db: Database, customer_id: str, subscription_id: str, version: int
) -> None:
    """Drop the change scheduled for the period end."""
    async with db.transaction():
        sub = await scoped(db, customer_id, subscription_id)
        await changes.update(db, sub, version, {"pending_update": None})


async def _invoice_now(
    db: Database,
    plan: Plan,
    change: changes.Change,
) -> invoices.Written:
    assert plan.now is not None
    paid_later = plan.now.amount_due > 0
    return await invoices.write(
        db,
        plan.now,
        customer_id=change.customer_id,
        subscription_id=change.subscription_id,
        billing_reason="subscription_update",
        period_start=plan.at,
        period_end=plan.period_end,
        discount_id=plan.discount_now.id if plan.discount_now else None,
        change_on_payment=change.to_json() if paid_later else None,
    )
