"""The load format's portal configurations: business profile, branding, features, login."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from portal.loader.fields import (
    ConfigurationId,
    CouponId,
    HexColour,
    HttpsUrl,
    ImageUrl,
    Metadata,
    Obj,
    PriceId,
    ProductId,
    Stored,
    Timestamp,
)


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
