"""Changing a subscription: what may be changed, the preview, and the change itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal import clock
from portal.billing import events, invoices, money
from portal.billing import queries as billing
from portal.billing.invoices import Coupon
from portal.db import Database, Row, new_id
from portal.i18n import N_
from portal.i18n import money as format_money
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
from portal.subscriptions.plan import Context, Plan, plan_change
from portal.tables import discounts, invoice_items, subscription_items

CHANGEABLE_STATUSES = ("active", "trialing", "past_due")

# Why a subscription cannot be changed here, in the customer's words.
WHY_NOT = {
    "schedule": N_("This subscription follows a schedule agreed with %(business)s. Contact "
                   "them to change it."),
    "items": N_("This subscription has several parts. Contact %(business)s to change it."),
    "metered": N_("This subscription is billed by usage. Contact %(business)s to change it."),
    "send_invoice": N_("This subscription is paid by invoice. Contact %(business)s to change "
                       "it."),
    "status": N_("This subscription can no longer be changed."),
    "disabled": N_("Plan changes are not available here. Contact %(business)s to change your "
                   "plan."),
}


@dataclass(frozen=True)
class Option:
    product_id: str
    product_name: str
    description: str | None
    prices: list[Row]
    min_quantity: int
    max_quantity: int | None
    adjustable: bool


@dataclass(frozen=True)
class Offer:
    """What the customer may choose for one subscription."""

    context: Context
    options: list[Option]
    allow_quantity: bool
    allow_promotion_code: bool

    def option_for(self, price_id: str) -> tuple[Option, Row]:
        for option in self.options:
            for price in option.prices:
                if price["id"] == price_id:
                    return option, price
        raise UpdateNotAllowed()


def why_not_changeable(subscription: Row, items: list[Row], settings: dict[str, Any]
                       ) -> str | None:
    if subscription["schedule_id"]:
        return "schedule"
    if len(items) != 1:
        return "items"
    if items[0]["usage_type"] == "metered":
        return "metered"
    if subscription["collection_method"] == "send_invoice":
        return "send_invoice"
    if subscription["status"] not in CHANGEABLE_STATUSES:
        return "status"
    if not settings.get("enabled") or not settings.get("products"):
        return "disabled"
    return None


async def offer(db: Database, configuration: Row, customer_id: str, subscription_id: str
                ) -> Offer:
    """Load a subscription for a change; UpdateNotAllowed says why when it cannot change."""
    now = clock.timestamp()
    subscription = await queries.subscription(db, customer_id, subscription_id)
    if subscription is None:
        raise SubscriptionNotFound()
    items = await billing.items(db, subscription_id)
    settings = configuration["features"].get("subscription_update", {})
    reason = why_not_changeable(subscription, items, settings)
    if reason is not None:
        raise UpdateNotAllowed(WHY_NOT[reason],
                               business=configuration["business_profile"]["name"])
    discount = await billing.active_discount(db, subscription_id, now)
    customer = await queries.customer(db, customer_id)
    assert customer is not None
    pending = invoices.pending_lines(await billing.pending_items(db, subscription_id))
    context = Context(subscription, items[0], settings, Coupon.of(discount),
                      bool(discount and discount["duration"] == "once"),
                      int(customer["balance"]), pending)
    allowed = settings.get("default_allowed_updates", [])
    configured = {p["product"]: p for p in settings["products"]}
    prices = await queries.prices_of_products(db, list(configured))
    options = []
    for product_id, product in configured.items():
        offered = [p for p in prices if p["product_id"] == product_id
                   and p["id"] in product["prices"]
                   and p["currency"] == context.item["currency"]]
        if "price" not in allowed:
            offered = [p for p in offered if p["id"] == context.item["id"]]
        if offered:
            quantity = product.get("adjustable_quantity", {})
            options.append(Option(product_id, offered[0]["product_name"],
                                  offered[0]["product_description"], offered,
                                  int(quantity.get("minimum", 1)), quantity.get("maximum"),
                                  bool(quantity.get("enabled")) and "quantity" in allowed))
    return Offer(context, options, "quantity" in allowed, "promotion_code" in allowed)


async def promotion_coupon(db: Database, offer: Offer, code: str, price: Row, quantity: int
                           ) -> tuple[Row, Coupon]:
    """Check a promotion code for this change; each failure has its own error."""
    now = clock.timestamp()
    promo = await queries.promotion(db, code.strip().casefold())
    customer_id = offer.context.subscription["customer_id"]
    if promo is None or (promo["customer_id"] and promo["customer_id"] != customer_id):
        raise PromotionCodeUnknown(code=code.strip())
    code = promo["code"]
    if not promo["active"] or not promo["valid"]:
        raise PromotionCodeInactive(code=code)
    if ((promo["expires_at"] and promo["expires_at"] <= now)
            or (promo["redeem_by"] and promo["redeem_by"] <= now)):
        raise PromotionCodeExpired(code=code)
    if ((promo["max_redemptions"] and promo["times_redeemed"] >= promo["max_redemptions"])
            or (promo["coupon_max_redemptions"]
                and promo["coupon_times_redeemed"] >= promo["coupon_max_redemptions"])):
        raise PromotionCodeUsedUp(code=code)
    if promo["first_time_transaction"] and await queries.has_paid(db, customer_id):
        raise PromotionCodeFirstTimeOnly(code=code)
    currency = price["currency"]
    if ((promo["coupon_currency"] and promo["amount_off"] and promo["coupon_currency"] != currency)
            or (promo["minimum_amount_currency"]
                and promo["minimum_amount_currency"] != currency)):
        raise PromotionCodeCurrency(code=code, currency=currency.upper())
    if promo["minimum_amount"] and price["unit_amount"] * quantity < promo["minimum_amount"]:
        raise PromotionCodeMinimum(code=code, amount=format_money(promo["minimum_amount"],
                                                                   currency))
    products = promo["applies_to_products"]
    if products is not None and price["product_id"] not in products:
        raise PromotionCodeProduct(code=code, product=price["product_name"])
    return promo, Coupon(promo["coupon_id"], promo["percent_off"], promo["amount_off"], products)


PREVIEW_VALID_FOR = 3600


@dataclass(frozen=True)
class Request:
    price_id: str
    quantity: int
    promotion_code: str = ""
    at: int | None = None  # the moment the confirmed preview was computed for


def _moment(request: Request) -> int:
    """Prorations are computed for the preview's own second, so the charge is the preview;
    a preview older than an hour is stale."""
    now = clock.timestamp()
    if request.at is None:
        return now
    if not now - PREVIEW_VALID_FOR <= request.at <= now:
        raise SubscriptionChanged()
    return request.at


async def preview(db: Database, offer: Offer, request: Request) -> tuple[Plan, Row | None]:
    """The plan for a requested change, checked against what the offer allows."""
    option, price = offer.option_for(request.price_id)
    quantity = request.quantity
    current = offer.context.item
    if not (offer.allow_quantity and option.adjustable):
        quantity = current["quantity"] if price["product_id"] == current["product_id"] else 1
    elif quantity < option.min_quantity or (option.max_quantity and quantity > option.max_quantity):
        raise QuantityOutOfRange(minimum=option.min_quantity,
                                 maximum=option.max_quantity or "∞")
    promo, coupon, once = None, offer.context.coupon, offer.context.coupon_once
    if request.promotion_code.strip():
        if not offer.allow_promotion_code:
            raise UpdateNotAllowed()
        promo, coupon = await promotion_coupon(db, offer, request.promotion_code, price, quantity)
        once = promo["duration"] == "once"
    return plan_change(offer.context, price, quantity, coupon, once, _moment(request)), promo


@dataclass(frozen=True)
class Applied:
    plan: Plan
    payment_failed: bool = False  # the invoice made now is left open, the subscription past due


async def apply(db: Database, processor: PaymentProcessor, offer: Offer, request: Request,
                version: int) -> Applied:
    """Make the change exactly as previewed, in one transaction (the charge included)."""
    payment_failed = False
    async with db.transaction():
        plan, promo = await preview(db, offer, request)
        sub = offer.context.subscription
        now = clock.timestamp()
        changes: dict[str, Any] = {}
        if plan.mode == "scheduled":
            # What the overview shows comes along, so it needs no other query.
            changes["pending_update"] = {
                "price": plan.price["id"], "quantity": plan.quantity,
                "product_name": plan.price["product_name"],
                "unit_amount": plan.price["unit_amount"], "currency": plan.price["currency"],
                "interval": plan.price["interval"],
                "interval_count": plan.price["interval_count"], "at": plan.next_date}
        elif plan.mode not in ("unchanged", "discount"):
            changes.update(current_period_start=plan.period_start,
                           current_period_end=plan.period_end, pending_update=None)
            if plan.mode == "trial_ends":
                changes.update(status="active", trial_end=now)
        if not await queries.bump_version(db, sub["id"], version, changes):
            raise SubscriptionChanged()
        if plan.mode not in ("scheduled", "unchanged", "discount"):
            await db.execute(subscription_items.update()
                             .where(subscription_items.c.id == offer.context.item["item_id"])
                             .values(price_id=plan.price["id"], quantity=plan.quantity))
        if promo is not None:
            await _attach_discount(db, sub, promo, now)
        await db.execute_many(invoice_items.insert(), [
            {"id": new_id("ii"), "customer_id": sub["customer_id"], "subscription_id": sub["id"],
             "price_id": line.price_id, "invoice_id": None, "description": line.description,
             "currency": plan.price["currency"], "amount": line.amount,
             "quantity": line.quantity, "proration": True, "period_start": line.period_start,
             "period_end": line.period_end, "created": now} for line in plan.pending])
        await events.record(db, "customer.subscription.updated",
                            {"id": sub["id"], "price": plan.price["id"],
                             "quantity": plan.quantity, **changes},
                            {"price": offer.context.item["id"],
                             "quantity": offer.context.item["quantity"],
                             **{key: sub[key] for key in changes if key in sub}})
        if plan.now is not None:
            invoice = await invoices.write(
                db, plan.now, customer_id=sub["customer_id"], subscription_id=sub["id"],
                billing_reason="subscription_update", period_start=now,
                period_end=plan.period_end)
            if invoice["status"] == "open" and not await invoices.collect(
                    db, processor, invoice, await _payment_method(db, sub)):
                await queries.set_status(db, sub["id"], "past_due")
                payment_failed = True
    return Applied(plan, payment_failed)


async def _attach_discount(db: Database, sub: Row, promo: Row, now: int) -> None:
    if not await queries.redeem(db, promo["id"], promo["coupon_id"]):
        raise PromotionCodeUsedUp(code=promo["code"])
    await queries.end_discounts(db, sub["id"], now)
    end = None
    if promo["duration"] == "repeating":
        end = money.add_interval(now, "month", promo["duration_in_months"])
    await db.execute(discounts.insert().values(
        id=new_id("di"), customer_id=sub["customer_id"], subscription_id=sub["id"],
        coupon_id=promo["coupon_id"], promotion_code_id=promo["id"], start=now, end=end,
        created=now))


async def _payment_method(db: Database, sub: Row) -> str | None:
    if sub["default_payment_method_id"]:
        return str(sub["default_payment_method_id"])
    customer = await queries.customer(db, sub["customer_id"])
    return customer["default_payment_method_id"] if customer else None
