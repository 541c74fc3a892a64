"""The load format: a JSON document of Stripe-shaped objects, checked field by field.

Unknown fields are ignored, so an export carrying more than the portal uses still loads.
Ids keep Stripe's prefixes, times are Unix seconds, amounts are integer minor units.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints, model_validator

from portal.core.fields import (
    Address,
    Amount,
    Country,
    CouponId,
    Currency,
    CustomerId,
    InvoiceId,
    InvoiceLineId,
    LocaleTag,
    Metadata,
    Obj,
    PaymentMethodId,
    PriceId,
    ProductId,
    PromotionCodeId,
    ScheduleId,
    Stored,
    SubscriptionId,
    SubscriptionItemId,
    TaxIdId,
    Timestamp,
)
from portal.loader.configuration import PortalConfiguration

# -- Catalog -----------------------------------------------------------------------------


class Product(Stored):
    id: ProductId
    name: Annotated[str, StringConstraints(min_length=1, max_length=250)]
    description: str | None = None
    unit_label: Annotated[str, StringConstraints(max_length=12)] | None = None
    tax_code: str | None = None
    active: bool = True
    metadata: Metadata = {}


_MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}


class Recurring(Obj):
    interval: Literal["day", "week", "month", "year"]
    interval_count: Annotated[int, Field(ge=1)] = 1
    usage_type: Literal["licensed", "metered"] = "licensed"

    @model_validator(mode="after")
    def _at_most_three_years(self) -> Recurring:
        if self.interval_count > _MAX_INTERVAL_COUNT[self.interval]:
            raise ValueError("interval_count: a billing period is at most three years")
        return self


class Price(Stored):
    id: PriceId
    product: ProductId
    currency: Currency
    unit_amount: Amount
    recurring: Recurring | None = None
    nickname: str | None = None
    tax_behavior: Literal["inclusive", "exclusive", "unspecified"] = "unspecified"
    active: bool = True


# -- Customers ---------------------------------------------------------------------------


class Shipping(Obj):
    name: str
    phone: str | None = None
    address: Address


class InvoiceSettings(Obj):
    default_payment_method: PaymentMethodId | None = None


class Customer(Stored):
    id: CustomerId
    email: EmailStr | None = None
    name: Annotated[str, StringConstraints(max_length=256)] | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    address: Address | None = None
    shipping: Shipping | None = None
    preferred_locales: list[LocaleTag] = []
    invoice_settings: InvoiceSettings = InvoiceSettings()
    balance: int = 0
    metadata: Metadata = {}


class TaxId(Stored):
    id: TaxIdId
    customer: CustomerId
    type: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}_[a-z_]{2,10}$")]
    value: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    country: Country | None = None


class Card(Obj):
    brand: Literal["amex", "diners", "discover", "jcb", "mastercard", "unionpay", "visa", "unknown"]
    last4: Annotated[str, StringConstraints(pattern=r"^\d{4}$")]
    exp_month: Annotated[int, Field(ge=1, le=12)]
    exp_year: Annotated[int, Field(ge=2000, le=2100)]
    fingerprint: str | None = None


class PaymentMethod(Stored):
    id: PaymentMethodId
    customer: CustomerId
    type: Literal["card"]
    card: Card


# -- Discounts ---------------------------------------------------------------------------


class AppliesTo(Obj):
    products: list[ProductId]


class Coupon(Stored):
    id: CouponId
    name: Annotated[str, StringConstraints(max_length=40)] | None = None
    percent_off: Annotated[int, Field(ge=1, le=100)] | None = None
    amount_off: Annotated[int, Field(ge=1)] | None = None
    currency: Currency | None = None
    duration: Literal["once", "repeating", "forever"]
    duration_in_months: Annotated[int, Field(ge=1, le=120)] | None = None
    applies_to: AppliesTo | None = None
    max_redemptions: Annotated[int, Field(ge=1)] | None = None
    redeem_by: Timestamp | None = None
    times_redeemed: Annotated[int, Field(ge=0)] = 0
    valid: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Coupon:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("give exactly one of percent_off and amount_off")
        if self.amount_off is not None and self.currency is None:
            raise ValueError("currency: required with amount_off")
        if (self.duration == "repeating") != (self.duration_in_months is not None):
            raise ValueError("duration_in_months: required for, and only for, duration 'repeating'")
        return self


class Restrictions(Obj):
    first_time_transaction: bool = False
    minimum_amount: Amount | None = None
    minimum_amount_currency: Currency | None = None

    @model_validator(mode="after")
    def _currency_with_amount(self) -> Restrictions:
        if (self.minimum_amount is None) != (self.minimum_amount_currency is None):
            raise ValueError("minimum_amount and minimum_amount_currency go together")
        return self


class PromotionCode(Stored):
    id: PromotionCodeId
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    coupon: CouponId
    customer: CustomerId | None = None
    active: bool = True
    expires_at: Timestamp | None = None
    max_redemptions: Annotated[int, Field(ge=1)] | None = None
    times_redeemed: Annotated[int, Field(ge=0)] = 0
    restrictions: Restrictions = Restrictions()


# -- Subscriptions -----------------------------------------------------------------------


class SubscriptionItem(Obj):
    id: SubscriptionItemId
    price: PriceId
    quantity: Annotated[int, Field(ge=0, le=1_000_000)] = 1
    created: Timestamp | None = None


class ItemList(Obj):
    data: Annotated[list[SubscriptionItem], Field(min_length=1, max_length=20)]


class PauseCollection(Obj):
    behavior: Literal["keep_as_draft", "mark_uncollectible", "void"]
    resumes_at: Timestamp | None = None


class CancellationDetails(Obj):
    reason: Literal["cancellation_requested", "payment_disputed", "payment_failed"] | None = None
    feedback: (
        Literal[
            "customer_service",
            "low_quality",
            "missing_features",
            "other",
            "switched_service",
            "too_complex",
            "too_expensive",
            "unused",
        ]
        | None
    ) = None
    comment: Annotated[str, StringConstraints(max_length=5000)] | None = None


class Subscription(Stored):
    id: SubscriptionId
    customer: CustomerId
    status: Literal[
        "incomplete",
        "incomplete_expired",
        "trialing",
        "active",
        "past_due",
        "canceled",
        "unpaid",
        "paused",
    ]
    items: ItemList
    current_period_start: Timestamp
    current_period_end: Timestamp
    cancel_at_period_end: bool = False
    cancel_at: Timestamp | None = None
    canceled_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    cancellation_details: CancellationDetails | None = None
    trial_start: Timestamp | None = None
    trial_end: Timestamp | None = None
    pause_collection: PauseCollection | None = None
    collection_method: Literal["charge_automatically", "send_invoice"] = "charge_automatically"
    default_payment_method: PaymentMethodId | None = None
    schedule: ScheduleId | None = None
    metadata: Metadata = {}

    @model_validator(mode="after")
    def _consistent(self) -> Subscription:
        if self.current_period_end <= self.current_period_start:
            raise ValueError("current_period_end: must be after current_period_start")
        if self.status == "trialing" and self.trial_end is None:
            raise ValueError("trial_end: required when status is 'trialing'")
        if self.status == "canceled" and self.canceled_at is None:
            raise ValueError("canceled_at: required when status is 'canceled'")
        return self


# -- Invoices ----------------------------------------------------------------------------


class Period(Obj):
    start: Timestamp
    end: Timestamp


class InvoiceLine(Obj):
    id: InvoiceLineId
    description: str | None = None
    amount: int
    quantity: Annotated[int, Field(ge=0)] | None = None
    price: PriceId | None = None
    proration: bool = False
    period: Period | None = None


class LineList(Obj):
    data: list[InvoiceLine]


class DiscountAmount(Obj):
    amount: Amount


class StatusTransitions(Obj):
    paid_at: Timestamp | None = None


class Invoice(Stored):
    id: InvoiceId
    customer: CustomerId
    subscription: SubscriptionId | None = None
    number: Annotated[str, StringConstraints(max_length=64)] | None = None
    status: Literal["draft", "open", "paid", "void", "uncollectible"]
    billing_reason: (
        Literal[
            "subscription_create",
            "subscription_cycle",
            "subscription_update",
            "subscription_threshold",
            "manual",
            "upcoming",
        ]
        | None
    ) = None
    currency: Currency
    subtotal: int
    total_discount_amounts: list[DiscountAmount] = []
    tax: int | None = None
    total: int
    amount_due: Amount
    amount_paid: Amount = 0
    period_start: Timestamp | None = None
    period_end: Timestamp | None = None
    due_date: Timestamp | None = None
    status_transitions: StatusTransitions = StatusTransitions()
    lines: LineList

    @property
    def discount(self) -> int:
        return sum(d.amount for d in self.total_discount_amounts)

    @model_validator(mode="after")
    def _adds_up(self) -> Invoice:
        lines = sum(line.amount for line in self.lines.data)
        if lines != self.subtotal:
            raise ValueError(f"subtotal: the lines add up to {lines}, not {self.subtotal}")
        expected = self.subtotal - self.discount + (self.tax or 0)
        if self.total != expected:
            raise ValueError(f"total: subtotal - discounts + tax is {expected}, not {self.total}")
        if self.status == "paid" and self.status_transitions.paid_at is None:
            raise ValueError("status_transitions.paid_at: required when status is 'paid'")
        return self


class LoadFile(Obj):
    """The whole document. Every list is optional; objects may refer to rows already loaded."""

    products: list[Product] = []
    prices: list[Price] = []
    coupons: list[Coupon] = []
    customers: list[Customer] = []
    tax_ids: list[TaxId] = []
    payment_methods: list[PaymentMethod] = []
    promotion_codes: list[PromotionCode] = []
    subscriptions: list[Subscription] = []
    invoices: list[Invoice] = []
    portal_configurations: list[PortalConfiguration] = []
