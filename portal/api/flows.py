"""`flow_data` of a session: the one task the customer lands in (update a card, cancel, change
plan, confirm a given change) and what happens once it is done. Checked when the session is
created, against the customer, their subscription and the configuration, with Stripe's
parameter names; stored with the session for the portal (portal/flows.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from portal import i18n
from portal.api import queries
from portal.api.errors import InvalidRequest, MissingParameter, from_validation
from portal.cancellation import service as cancellation
from portal.db import Database
from portal.errors import PortalError
from portal.merchant.configuration import Configuration
from portal.subscriptions import service as subscriptions


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HostedConfirmation(_Params):
    custom_message: Annotated[str, StringConstraints(max_length=500)] | None = None


class Redirect(_Params):
    return_url: str


class AfterCompletion(_Params):
    type: Literal["hosted_confirmation", "portal_homepage", "redirect"]
    hosted_confirmation: HostedConfirmation | None = None
    redirect: Redirect | None = None


class CouponOffer(_Params):
    coupon: str


class Retention(_Params):
    type: Literal["coupon_offer"]
    coupon_offer: CouponOffer


class SubscriptionCancel(_Params):
    subscription: str
    retention: Retention | None = None


class SubscriptionUpdate(_Params):
    subscription: str


class ConfirmItem(_Params):
    id: str
    price: str | None = None
    quantity: Annotated[int, Field(ge=0)] | None = None


class ConfirmDiscount(_Params):
    coupon: str | None = None
    promotion_code: str | None = None


class SubscriptionUpdateConfirm(_Params):
    subscription: str
    items: Annotated[list[ConfirmItem], Field(min_length=1, max_length=1)]
    discounts: Annotated[list[ConfirmDiscount], Field(max_length=1)] = []


class FlowData(_Params):
    type: Literal[
        "payment_method_update",
        "subscription_cancel",
        "subscription_update",
        "subscription_update_confirm",
    ]
    after_completion: AfterCompletion = AfterCompletion(type="portal_homepage")
    subscription_cancel: SubscriptionCancel | None = None
    subscription_update: SubscriptionUpdate | None = None
    subscription_update_confirm: SubscriptionUpdateConfirm | None = None


P = "flow_data"


async def check(
    db: Database, configuration: Configuration, *, customer_id: str, raw: dict[str, Any]
) -> dict[str, Any]:
    """The flow as stored with the session; InvalidRequest names what is wrong."""
    try:
        flow = FlowData.model_validate(raw)
    except ValidationError as error:
        raise from_validation(error, prefix=(P,)) from None
    after = flow.after_completion
    if after.type == "redirect":
        if after.redirect is None:
            raise MissingParameter(
                "Missing required param: flow_data[after_completion][redirect].",
                param=f"{P}[after_completion][redirect]",
            )
        if not after.redirect.return_url.startswith(("https://", "http://")):
            raise InvalidRequest(
                "return_url must be an http(s) URL.",
                param=f"{P}[after_completion][redirect][return_url]",
                code="url_invalid",
            )
    features = configuration.features
    stored: dict[str, Any] = {"type": flow.type, "after_completion": after.model_dump()}
    if flow.type == "payment_method_update":
        if not features.payment_method_update.enabled:
            raise _disabled("payment_method_update")
    elif flow.type == "subscription_cancel":
        cancel = _required(flow.subscription_cancel, "subscription_cancel")
        where = f"{P}[subscription_cancel][subscription]"
        await _refused_as(
            where, cancellation.load(db, configuration, customer_id, cancel.subscription)
        )
        coupon = cancel.retention.coupon_offer.coupon if cancel.retention else None
        if coupon and not await queries.coupon_exists(db, coupon):
            raise InvalidRequest(
                f"No such coupon: '{coupon}'",
                param=f"{P}[subscription_cancel][retention][coupon_offer][coupon]",
                code="resource_missing",
            )
        stored["subscription"] = cancel.subscription
        stored["retention_coupon"] = coupon
    elif not features.subscription_update.enabled and flow.type.startswith("subscription_update"):
        raise _disabled("subscription_update")
    elif flow.type == "subscription_update":
        update = _required(flow.subscription_update, "subscription_update")
        where = f"{P}[subscription_update][subscription]"
        await _refused_as(
            where, subscriptions.offer(db, configuration, customer_id, update.subscription)
        )
        stored["subscription"] = update.subscription
    else:
        confirm = _required(flow.subscription_update_confirm, "subscription_update_confirm")
        stored.update(await _confirmation(db, configuration, customer_id, confirm))
    return stored


async def _confirmation(
    db: Database, configuration: Configuration, customer_id: str, confirm: SubscriptionUpdateConfirm
) -> dict[str, Any]:
    """The change to confirm, as the plan picker's query asks for it (checked by its preview)."""
    where = f"{P}[subscription_update_confirm]"
    offer = await _refused_as(
        f"{where}[subscription]",
        subscriptions.offer(db, configuration, customer_id, confirm.subscription),
    )
    [item] = confirm.items
    current = offer.current
    if item.id != current.item_id:
        raise InvalidRequest(
            f"No such item on the subscription: '{item.id}'", param=f"{where}[items][0][id]"
        )
    code = ""
    if confirm.discounts:
        discount = confirm.discounts[0]
        if discount.coupon or not discount.promotion_code:
            raise InvalidRequest(
                "Only a promotion code can be given (the customer sees and may remove it).",
                param=f"{where}[discounts][0][coupon]",
            )
        code = await queries.promotion_code(db, discount.promotion_code) or ""
        if not code:
            raise InvalidRequest(
                f"No such promotion code: '{discount.promotion_code}'",
                param=f"{where}[discounts][0][promotion_code]",
                code="resource_missing",
            )
    request = subscriptions.Request(
        item.price or current.price_id, item.quantity or current.quantity, code
    )
    await _refused_as(f"{where}[items][0][price]", subscriptions.preview(db, offer, request))
    return {
        "subscription": confirm.subscription,
        "item": item.id,
        "price": request.price_id,
        "quantity": request.quantity,
        "promotion_code": code,
    }


def _required(value: Any, name: str) -> Any:
    if value is None:
        raise MissingParameter(f"Missing required param: {P}[{name}].", param=f"{P}[{name}]")
    return value


def _disabled(feature: str) -> InvalidRequest:
    return InvalidRequest(
        f"The configuration does not enable {feature}, which this flow needs.",
        param=f"{P}[type]",
    )


async def _refused_as(param: str, checking: Any) -> Any:
    """What the portal's own check gives, or its refusal as an error on `param`."""
    try:
        return await checking
    except PortalError as refused:
        title, message = i18n.error_text(refused)
        raise InvalidRequest(f"{title}: {message}", param=param) from None


def flow_object(flow: dict[str, Any] | None) -> dict[str, Any] | None:
    """The session's `flow`, as Stripe describes it."""
    if flow is None:
        return None
    after = flow["after_completion"]
    kind = flow["type"]
    return {
        "type": kind,
        "after_completion": {
            "type": after["type"],
            "hosted_confirmation": after.get("hosted_confirmation")
            if after["type"] == "hosted_confirmation"
            else None,
            "redirect": after.get("redirect") if after["type"] == "redirect" else None,
        },
        "subscription_cancel": {
            "subscription": flow["subscription"],
            "retention": {
                "type": "coupon_offer",
                "coupon_offer": {"coupon": flow["retention_coupon"]},
            }
            if flow.get("retention_coupon")
            else None,
        }
        if kind == "subscription_cancel"
        else None,
        "subscription_update": {"subscription": flow["subscription"]}
        if kind == "subscription_update"
        else None,
        "subscription_update_confirm": {
            "subscription": flow["subscription"],
            "items": [{"id": flow["item"], "price": flow["price"], "quantity": flow["quantity"]}],
            "discounts": [],
        }
        if kind == "subscription_update_confirm"
        else None,
    }
