"""The load format: a JSON document of Stripe-shaped objects, checked field by field.

Unknown fields are ignored, so an export carrying more than the portal uses still loads.
Ids keep Stripe's prefixes, times are Unix seconds, amounts are integer minor units.
"""

from __future__ import annotations

from typing import Annotated, Literal

import pycountry
from babel.numbers import list_currencies
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from portal import i18n


def _prefixed(*prefixes: str) -> StringConstraints:
    alternatives = "|".join(prefixes)
    return StringConstraints(pattern=rf"^(?:{alternatives})_[A-Za-z0-9_]{{1,58}}$")


ProductId = Annotated[str, _prefixed("prod")]
PriceId = Annotated[str, _prefixed("price")]
CustomerId = Annotated[str, _prefixed("cus")]
PaymentMethodId = Annotated[str, _prefixed("pm", "card")]
SubscriptionId = Annotated[str, _prefixed("sub")]
SubscriptionItemId = Annotated[str, _prefixed("si")]
InvoiceId = Annotated[str, _prefixed("in")]
InvoiceLineId = Annotated[str, _prefixed("il", "ii", "sli")]
PromotionCodeId = Annotated[str, _prefixed("promo")]
ConfigurationId = Annotated[str, _prefixed("bpc")]
TaxIdId = Annotated[str, _prefixed("txi")]
ScheduleId = Annotated[str, StringConstraints(pattern=r"^sub_sched_[A-Za-z0-9_]{1,50}$")]
CouponId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Timestamp = Annotated[int, Field(ge=0, le=32503680000)]  # up to the year 3000
Amount = Annotated[int, Field(ge=0)]
Metadata = dict[str, str]
HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://\S{1,2040}$")]
ImageUrl = Annotated[str, StringConstraints(pattern=r"^(?:https://|/[^/])\S{1,2040}$")]
HexColour = Annotated[str, StringConstraints(pattern=r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]

_CURRENCIES = {code.lower() for code in list_currencies()}


def _currency(value: str) -> str:
    if value.lower() not in _CURRENCIES:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return value.lower()


def _country(value: str) -> str:
    if len(value) != 2 or pycountry.countries.get(alpha_2=value.upper()) is None:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return value.upper()


def _locale(value: str) -> str:
    if i18n.match(value) is None and not value.replace("-", "").isalpha():
        raise ValueError(f"'{value}' is not a language tag")
    return value


Currency = Annotated[str, AfterValidator(_currency)]
Country = Annotated[str, AfterValidator(_country)]
LocaleTag = Annotated[str, StringConstraints(max_length=16), AfterValidator(_locale)]


class Obj(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Stored(Obj):
    livemode: bool = False
    created: Timestamp


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

class Address(Obj):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: Country | None = None


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
    brand: Literal["amex", "diners", "discover", "jcb", "mastercard", "unionpay", "visa",
                   "unknown"]
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
            raise ValueError("duration_in_months: required for, and only for, "
                             "duration 'repeating'")
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
    feedback: Literal["customer_service", "low_quality", "missing_features", "other",
                      "switched_service", "too_complex", "too_expensive", "unused"] | None = None
    comment: Annotated[str, StringConstraints(max_length=5000)] | None = None


class Subscription(Stored):
    id: SubscriptionId
    customer: CustomerId
    status: Literal["incomplete", "incomplete_expired", "trialing", "active", "past_due",
                    "canceled", "unpaid", "paused"]
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
    billing_reason: Literal["subscription_create", "subscription_cycle", "subscription_update",
                            "subscription_threshold", "manual", "upcoming"] | None = None
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


# -- Portal configurations ---------------------------------------------------------------

class BusinessProfile(Obj):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    headline: Annotated[str, StringConstraints(max_length=60)] | None = None
    privacy_policy_url: HttpsUrl | None = None
    terms_of_service_url: HttpsUrl | None = None


class BrandingIn(Obj):
    logo_url: ImageUrl | None = None
    icon_url: ImageUrl | None = None
    background_color: HexColour = "#ffffff"
    button_color: HexColour = "#0b57d0"
    font: Literal["system", "sans-serif", "serif", "rounded", "monospace"] = "system"
    corner_shape: Literal["square", "rounded", "pill"] = "rounded"


class Toggle(Obj):
    enabled: bool = False


class CustomerUpdate(Toggle):
    allowed_updates: list[Literal["name", "email", "address", "phone", "shipping", "tax_id"]] = []


class CancellationReason(Toggle):
    options: list[Literal["too_expensive", "missing_features", "switched_service", "unused",
                          "customer_service", "too_complex", "low_quality", "other"]] = []


class SubscriptionCancel(Toggle):
    mode: Literal["immediately", "at_period_end"] = "at_period_end"
    proration_behavior: Literal["none", "create_prorations", "always_invoice"] = "none"
    cancellation_reason: CancellationReason = CancellationReason()
    retention_coupon: CouponId | None = None


class AdjustableQuantity(Toggle):
    minimum: Annotated[int, Field(ge=0)] = 1
    maximum: Annotated[int, Field(ge=1, le=1_000_000)] | None = None


class UpdatableProduct(Obj):
    product: ProductId
    prices: Annotated[list[PriceId], Field(min_length=1)]
    adjustable_quantity: AdjustableQuantity = AdjustableQuantity()


class ScheduleCondition(Obj):
    type: Literal["decreasing_item_amount", "shortening_interval"]


class ScheduleAtPeriodEnd(Obj):
    conditions: list[ScheduleCondition] = []


class SubscriptionUpdate(Toggle):
    default_allowed_updates: list[Literal["price", "quantity", "promotion_code"]] = []
    products: Annotated[list[UpdatableProduct], Field(max_length=10)] = []
    proration_behavior: Literal["none", "create_prorations", "always_invoice"] = (
        "create_prorations")
    schedule_at_period_end: ScheduleAtPeriodEnd = ScheduleAtPeriodEnd()
    trial_update_behavior: Literal["end_trial", "continue_trial"] = "end_trial"


class Features(Obj):
    customer_update: CustomerUpdate = CustomerUpdate()
    invoice_history: Toggle = Toggle()
    payment_method_update: Toggle = Toggle()
    subscription_cancel: SubscriptionCancel = SubscriptionCancel()
    subscription_pause: Toggle = Toggle()
    subscription_update: SubscriptionUpdate = SubscriptionUpdate()


class LoginPage(Obj):
    enabled: bool = False
    secure_mode: bool = False
    link_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{4,64}$")] | None = None

    @model_validator(mode="after")
    def _link_when_enabled(self) -> LoginPage:
        if self.enabled and self.link_id is None:
            raise ValueError("link_id: required when the login page is enabled")
        return self


class PortalConfiguration(Stored):
    id: ConfigurationId
    active: bool = True
    is_default: bool = False
    business_profile: BusinessProfile
    branding: BrandingIn = BrandingIn()
    features: Features = Features()
    default_return_url: HttpsUrl | None = None
    login_page: LoginPage = LoginPage()
    metadata: Metadata = {}
    updated: Timestamp | None = None


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
