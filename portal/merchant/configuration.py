"""A portal configuration as the portal uses it: typed, parsed once from its stored row.

The models below are also the load format's (`portal load`, see loader/configuration.py), so
what a merchant writes and what the pages read are one set of types with one set of defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from portal.core.fields import (
    Address,
    CouponId,
    HexColour,
    HttpsUrl,
    ImageUrl,
    Obj,
    PriceId,
    ProductId,
)

ProrationBehavior = Literal["none", "create_prorations", "always_invoice"]
CancelMode = Literal["immediately", "at_period_end"]
AllowedUpdate = Literal["price", "quantity", "promotion_code"]
TrialUpdateBehavior = Literal["end_trial", "continue_trial"]
ScheduleConditionType = Literal["decreasing_item_amount", "shortening_interval"]


class BusinessProfile(Obj):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    headline: Annotated[str, StringConstraints(max_length=60)] | None = None
    privacy_policy_url: HttpsUrl | None = None
    terms_of_service_url: HttpsUrl | None = None
    address: Address | None = None  # printed on invoices (not a field of Stripe's)


class BrandingSettings(Obj):
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
    options: list[
        Literal[
            "too_expensive",
            "missing_features",
            "switched_service",
            "unused",
            "customer_service",
            "too_complex",
            "low_quality",
            "other",
        ]
    ] = []


class SubscriptionCancel(Toggle):
    mode: CancelMode = "at_period_end"
    proration_behavior: ProrationBehavior = "none"
    cancellation_reason: CancellationReason = CancellationReason()
    retention_coupon: CouponId | None = None


class SubscriptionPause(Toggle):
    maximum_days: Annotated[int, Field(ge=1, le=90)] = 90
    """The longest pause a customer may choose (90 days at most)."""


class AdjustableQuantity(Toggle):
    minimum: Annotated[int, Field(ge=0)] = 1
    maximum: Annotated[int, Field(ge=1, le=1_000_000)] | None = None


class UpdatableProduct(Obj):
    product: ProductId
    prices: Annotated[list[PriceId], Field(min_length=1)]
    adjustable_quantity: AdjustableQuantity = AdjustableQuantity()


class ScheduleCondition(Obj):
    type: ScheduleConditionType


class ScheduleAtPeriodEnd(Obj):
    conditions: list[ScheduleCondition] = []


class SubscriptionUpdate(Toggle):
    default_allowed_updates: list[AllowedUpdate] = []
    products: Annotated[list[UpdatableProduct], Field(max_length=10)] = []
    proration_behavior: ProrationBehavior = "create_prorations"
    schedule_at_period_end: ScheduleAtPeriodEnd = ScheduleAtPeriodEnd()
    trial_update_behavior: TrialUpdateBehavior = "end_trial"
    # A change keeps the subscription's billing date ("now", which moves it, is not offered).
    billing_cycle_anchor: Literal["unchanged"] | None = None


class Features(Obj):
    customer_update: CustomerUpdate = CustomerUpdate()
    invoice_history: Toggle = Toggle()
    payment_method_update: Toggle = Toggle()
    subscription_cancel: SubscriptionCancel = SubscriptionCancel()
    subscription_pause: SubscriptionPause = SubscriptionPause()
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


@dataclass(frozen=True)
class Configuration:
    """A stored portal configuration (a row of `portal_configurations`), typed."""

    id: str
    active: bool
    is_default: bool
    business_profile: BusinessProfile
    branding: BrandingSettings
    features: Features
    default_return_url: str | None
    login_page_enabled: bool
    login_link_id: str | None
    secure_mode: bool
    secure_mode_secret: str | None
    livemode: bool

    @classmethod
    def of(cls, row: dict[str, Any]) -> Configuration:
        return cls(
            id=row["id"],
            active=bool(row["active"]),
            is_default=bool(row["is_default"]),
            business_profile=BusinessProfile.model_validate(row["business_profile"]),
            branding=BrandingSettings.model_validate(row["branding"] or {}),
            features=Features.model_validate(row["features"] or {}),
            default_return_url=row["default_return_url"],
            login_page_enabled=bool(row["login_page_enabled"]),
            login_link_id=row["login_link_id"],
            secure_mode=bool(row["secure_mode"]),
            secure_mode_secret=row["secure_mode_secret"],
            livemode=bool(row["livemode"]),
        )

    @property
    def business_name(self) -> str:
        return self.business_profile.name

    @property
    def login_link(self) -> str | None:
        """The login link id, when its page is open."""
        return self.login_link_id if self.login_page_enabled and self.active else None
