"""`/v1/billing_portal/configurations`: create, list, retrieve and update the configurations
customers' portals follow, as Stripe's API does (partial updates merge nested objects;
lists are replaced; an empty string unsets)."""

from __future__ import annotations

import copy
import secrets
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from portal import clock
from portal.api import lists
from portal.api import queries as api_queries
from portal.api.endpoint import Call
from portal.api.errors import (
    InvalidRequest,
    MissingParameter,
    NotFound,
    UnknownParameter,
    param_name,
)
from portal.billing import events
from portal.core.fields import HttpsUrl, Metadata
from portal.db import Database, Row, new_id
from portal.merchant import queries
from portal.merchant.configuration import BrandingSettings, BusinessProfile, Features
from portal.tables import portal_configurations

# Lists Stripe replaces as a whole; an empty string makes them empty.
LISTS = {
    "allowed_updates",
    "options",
    "default_allowed_updates",
    "products",
    "prices",
    "conditions",
}


class LoginPageParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


class ConfigurationParams(BaseModel):
    """What a create or an update may set; the stored object is checked again as a whole."""

    model_config = ConfigDict(extra="forbid")
    active: bool | None = None
    business_profile: dict[str, Any] | None = None
    default_return_url: HttpsUrl | None = None
    features: dict[str, Any] | None = None
    login_page: LoginPageParams | None = None
    metadata: dict[str, str | None] | None = None
    name: Annotated[str, StringConstraints(max_length=256)] | None = None
    expand: list[str] = []


class Stored(BaseModel):
    """A configuration as kept: the merchant's typed settings (merchant/configuration.py)."""

    model_config = ConfigDict(extra="forbid")
    business_profile: BusinessProfile
    features: Features
    metadata: Annotated[Metadata, Field(max_length=50)] = {}


async def create(call: Call) -> dict[str, Any]:
    params = _params(call.params)
    if params.features is None:
        raise MissingParameter("Missing required param: features.", param="features")
    db, now = call.db, clock.timestamp()
    default = await queries.default(db, livemode=call.livemode)
    profile = {
        "name": default.business_name if default else None,
        **_unset(params.business_profile or {}),
    }
    stored = _check({"business_profile": profile, "features": _unset(params.features)})
    await _check_references(db, stored.features, call.livemode)
    values = {
        "id": new_id("bpc"),
        "active": True if params.active is None else params.active,
        "is_default": False,
        "business_profile": stored.business_profile.model_dump(mode="json"),
        "branding": (default.branding if default else BrandingSettings()).model_dump(mode="json"),
        "features": stored.features.model_dump(mode="json"),
        "default_return_url": params.default_return_url,
        "login_page_enabled": bool(params.login_page and params.login_page.enabled),
        "login_link_id": secrets.token_urlsafe(9),
        "secure_mode": False,
        "metadata": {k: v for k, v in (params.metadata or {}).items() if v},
        "name": params.name,
        "livemode": call.livemode,
        "created": now,
        "updated": now,
    }
    async with db.transaction():
        await queries.insert(db, values)
        body = configuration_object(values, call.settings.base_url)
        await events.record(db, "billing_portal.configuration.created", body)
    return body


async def retrieve(call: Call) -> dict[str, Any]:
    return configuration_object(await _row(call), call.settings.base_url)


async def update(call: Call) -> dict[str, Any]:
    params = _params(call.params)
    db = call.db
    async with db.transaction():
        row = await _row(call)
        before = configuration_object(row, call.settings.base_url)
        profile = _merged(row["business_profile"], params.business_profile)
        features = _merged(row["features"], params.features)
        metadata = dict(row["metadata"] or {})
        if params.metadata is not None:
            for key, value in params.metadata.items():
                if value:
                    metadata[key] = value
                else:
                    metadata.pop(key, None)  # an empty value removes the key
        stored = _check({"business_profile": profile, "features": features, "metadata": metadata})
        await _check_references(db, stored.features, call.livemode)
        given = params.model_fields_set
        values: dict[str, Any] = {
            "business_profile": stored.business_profile.model_dump(mode="json"),
            "features": stored.features.model_dump(mode="json"),
            "metadata": stored.metadata,
            "updated": clock.timestamp(),
        }
        if "active" in given and params.active is not None:
            values["active"] = params.active
        if "default_return_url" in given:
            values["default_return_url"] = params.default_return_url
        if "name" in given:
            values["name"] = params.name
        if params.login_page is not None:
            values["login_page_enabled"] = params.login_page.enabled
        await queries.change(db, row["id"], values)
        body = configuration_object({**row, **values}, call.settings.base_url)
        previous = {
            key: before[key] for key in body if key != "updated" and body[key] != before[key]
        }
        if previous:
            await events.record(db, "billing_portal.configuration.updated", body, previous)
    return body


class ListParams(lists.ListParams):
    active: bool | None = None
    is_default: bool | None = None


async def listing(call: Call) -> dict[str, Any]:
    params = ListParams.model_validate(call.params)
    table = portal_configurations
    conditions = [
        column == value
        for column, value in (
            (table.c.active, params.active),
            (table.c.is_default, params.is_default),
        )
        if value is not None
    ]

    async def shape(rows: list[Row]) -> list[dict[str, Any]]:
        return [configuration_object(row, call.settings.base_url) for row in rows]

    return await lists.page(call, params, table, conditions, shape)


def _params(raw: dict[str, Any]) -> ConfigurationParams:
    return ConfigurationParams.model_validate(
        {key: (None if value == "" and key != "metadata" else value) for key, value in raw.items()}
    )


def _unset(values: dict[str, Any]) -> dict[str, Any]:
    """Stripe's empty strings: a list made empty, anything else unset."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out[key] = _unset(value)
        elif isinstance(value, list):
            out[key] = [_unset(v) if isinstance(v, dict) else v for v in value]
        elif value == "":
            out[key] = [] if key in LISTS else None
        else:
            out[key] = value
    return {key: value for key, value in out.items() if value is not None or key in LISTS}


def _merged(stored: dict[str, Any] | None, change: dict[str, Any] | None) -> dict[str, Any]:
    """The stored object with the update's nested objects merged in and its lists replacing."""
    merged = copy.deepcopy(stored or {})
    for key, value in (change or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        elif value == "":
            if key in LISTS:
                merged[key] = []
            else:
                merged.pop(key, None)
        else:
            merged[key] = _unset({key: value}).get(key)
    return merged


def _check(document: dict[str, Any]) -> Stored:
    """The configuration as a whole, by the same models the portal reads it with; an unknown
    nested parameter is refused by name."""
    _refuse_unknown(Stored, document, ())
    return Stored.model_validate(document)


def _refuse_unknown(model: type[BaseModel], data: Any, at: tuple[str | int, ...]) -> None:
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            name = param_name((*at, key))
            raise UnknownParameter(f"Received unknown parameter: {name}", param=name)
        inner = _model_of(field.annotation)
        if inner is None:
            continue
        if isinstance(value, list):
            for index, item in enumerate(value):
                _refuse_unknown(inner, item, (*at, key, index))
        else:
            _refuse_unknown(inner, value, (*at, key))


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (itself, in a list, or optional)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_of(argument)
        if found is not None:
            return found
    return None


async def _check_references(db: Database, features: Features, livemode: bool) -> None:
    """Products and prices of `subscription_update` exist, in this mode, and belong together;
    a retention coupon exists."""
    update = features.subscription_update
    wanted = [price for product in update.products for price in product.prices]
    found = await api_queries.prices_by_id(db, wanted)
    for i, product in enumerate(update.products):
        for j, price in enumerate(product.prices):
            param = f"features[subscription_update][products][{i}][prices][{j}]"
            row = found.get(price)
            if row is None or bool(row["livemode"]) != livemode:
                raise InvalidRequest(
                    f"No such price: '{price}'", param=param, code="resource_missing"
                )
            if row["product_id"] != product.product:
                raise InvalidRequest(
                    f"The price '{price}' does not belong to the product '{product.product}'.",
                    param=param,
                )
    coupon = features.subscription_cancel.retention_coupon
    if coupon and not await api_queries.coupon_exists(db, coupon):
        raise InvalidRequest(
            f"No such coupon: '{coupon}'",
            param="features[subscription_cancel][retention_coupon]",
            code="resource_missing",
        )


async def _row(call: Call) -> Row:
    configuration_id = call.path("configuration")
    row = await queries.row(call.db, configuration_id, call.livemode)
    if row is None:
        raise NotFound(
            f"No such billing portal configuration: '{configuration_id}'", param="configuration"
        )
    return row


def configuration_object(row: Row, base_url: str) -> dict[str, Any]:
    """A configuration as Stripe describes it (with the portal's own extra settings)."""
    profile = dict(row["business_profile"] or {})
    features = Features.model_validate(row["features"] or {}).model_dump(mode="json")
    features["payment_method_update"]["payment_method_configuration"] = None
    enabled = bool(row["login_page_enabled"])
    return {
        "id": row["id"],
        "object": "billing_portal.configuration",
        "active": bool(row["active"]),
        "application": None,
        "business_profile": {
            "headline": profile.get("headline"),
            "privacy_policy_url": profile.get("privacy_policy_url"),
            "terms_of_service_url": profile.get("terms_of_service_url"),
            "name": profile.get("name"),
        },
        "created": row["created"],
        "default_return_url": row["default_return_url"],
        "features": features,
        "is_default": bool(row["is_default"]),
        "livemode": bool(row["livemode"]),
        "login_page": {
            "enabled": enabled,
            "url": f"{base_url}/p/login/{row['login_link_id']}"
            if enabled and row["login_link_id"]
            else None,
        },
        "metadata": row["metadata"] or {},
        "name": row["name"],
        "updated": row["updated"],
    }
