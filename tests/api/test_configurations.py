"""Portal configurations through the API with the official `stripe` package: create, update
(nested objects merge, lists are replaced, empty strings unset), list with pagination,
retrieve, the documented validations, modes, and their events."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from sqlalchemy import select

from portal import clock
from portal.db import Database
from portal.tables import events
from tests.api.conftest import MakeClient
from tests.shop import Shop

FEATURES: Any = {
    "customer_update": {"enabled": True, "allowed_updates": ["email", "address"]},
    "invoice_history": {"enabled": True},
    "subscription_cancel": {
        "enabled": True,
        "mode": "at_period_end",
        "cancellation_reason": {"enabled": True, "options": ["too_expensive", "unused"]},
    },
}


async def test_create_update_and_retrieve(
    shop: Shop, stripe_client: stripe.StripeClient, db: Database
) -> None:
    data = await shop.customer()  # a default configuration and a catalogue to offer
    configurations = stripe_client.v1.billing_portal.configurations
    products: Any = [
        {
            "product": shop.cat["products"]["pro"]["id"],
            "prices": [shop.prices["pro_month"]["id"], shop.prices["pro_year"]["id"]],
            "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 20},
        }
    ]
    params: Any = {
        "business_profile": {"headline": "Manage your Pro plan"},
        "features": {
            **FEATURES,
            "subscription_update": {
                "enabled": True,
                "default_allowed_updates": ["price", "quantity"],
                "products": products,
                "proration_behavior": "always_invoice",
            },
        },
        "default_return_url": "https://example.com/account",
        "login_page": {"enabled": True},
        "metadata": {"team": "growth"},
        "name": "Pro customers",
    }
    created: Any = await configurations.create_async(params)
    assert created.object == "billing_portal.configuration" and created.id.startswith("bpc_")
    assert created.active is True and created.is_default is False and created.livemode is False
    assert created.business_profile.headline == "Manage your Pro plan"
    assert created.features.customer_update.allowed_updates == ["email", "address"]
    update = created.features.subscription_update
    assert update.products[0].adjustable_quantity.maximum == 20
    assert update.proration_behavior == "always_invoice"
    assert created.login_page.enabled and created.login_page.url.startswith(
        "http://portal.test/p/login/"
    )
    assert created.metadata.to_dict() == {"team": "growth"} and created.name == "Pro customers"

    changed: Any = {
        "features": {
            "invoice_history": {"enabled": False},
            "customer_update": {"allowed_updates": ["tax_id"]},
        },
        "business_profile": {"headline": ""},
        "metadata": {"team": "", "owner": "ops"},
        "login_page": {"enabled": False},
    }
    updated: Any = await configurations.update_async(created.id, changed)
    assert updated.features.invoice_history.enabled is False
    assert updated.features.customer_update.allowed_updates == ["tax_id"]  # replaced
    assert updated.features.customer_update.enabled is True  # merged: kept
    assert updated.features.subscription_update.products[0].product == products[0]["product"]
    assert updated.business_profile.headline is None
    assert updated.metadata.to_dict() == {"owner": "ops"} and updated.login_page.url is None
    fetched = await configurations.retrieve_async(created.id)
    assert fetched.to_dict() == updated.to_dict()

    kinds = [
        (r["type"], r["previous_attributes"])
        for r in await db.fetch_all(
            select(events).where(events.c.type.like("billing_portal.configuration.%"))
        )
    ]
    assert kinds[0] == ("billing_portal.configuration.created", None)
    assert kinds[1][0] == "billing_portal.configuration.updated"
    assert set(kinds[1][1]) == {"business_profile", "features", "login_page", "metadata"}

    # A session can use it.
    session_params: Any = {"customer": data["customer"]["id"], "configuration": created.id}
    session = await stripe_client.v1.billing_portal.sessions.create_async(session_params)
    assert (
        session.configuration == created.id and session.return_url == "https://example.com/account"
    )


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({}, "features", "parameter_missing"),
        (
            {"business_profile": {"headline": "x" * 61}},
            "business_profile[headline]",
            "parameter_invalid",
        ),
        (
            {"features": {"customer_update": {"allowed_updates": ["colour"]}}},
            "features[customer_update][allowed_updates][0]",
            "parameter_invalid",
        ),
        (
            {"features": {"subscription_cancel": {"mode": "sometimes"}}},
            "features[subscription_cancel][mode]",
            "parameter_invalid",
        ),
        (
            {"features": {"invoice_history": {"enabled": True, "colour": "red"}}},
            "features[invoice_history][colour]",
            "parameter_unknown",
        ),
        ({"default_return_url": "ftp://example.com"}, "default_return_url", "parameter_invalid"),
        (
            {
                "features": {
                    "subscription_update": {
                        "products": [{"product": "prod_x", "prices": ["price_nothing"]}]
                    }
                }
            },
            "features[subscription_update][products][0][prices][0]",
            "resource_missing",
        ),
    ],
)
async def test_documented_validations_name_the_parameter(
    shop: Shop, stripe_client: stripe.StripeClient, params: dict[str, Any], param: str, code: str
) -> None:
    await shop.customer()
    request: Any = (
        {"features": FEATURES, **params} if params and "features" not in params else params
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await stripe_client.v1.billing_portal.configurations.create_async(request)
    assert (refused.value.param, refused.value.code) == (param, code)


async def test_at_most_ten_products(shop: Shop, stripe_client: stripe.StripeClient) -> None:
    await shop.customer()
    product = {
        "product": shop.cat["products"]["pro"]["id"],
        "prices": [shop.prices["pro_month"]["id"]],
    }
    request: Any = {
        "features": {"subscription_update": {"enabled": True, "products": [product] * 11}}
    }
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await stripe_client.v1.billing_portal.configurations.create_async(request)
    assert refused.value.param == "features[subscription_update][products]"


async def test_list_with_filters_and_pagination_in_one_mode(
    shop: Shop, make_stripe: MakeClient
) -> None:
    await shop.customer()  # one default configuration (test mode)
    client, _ = await make_stripe()
    configurations = client.v1.billing_portal.configurations
    made = []
    clock.advance(1)
    for n in range(5):
        params: Any = {"features": FEATURES, "name": f"c{n}", "active": n != 2}
        made.append((await configurations.create_async(params)).id)
        clock.advance(1)  # newest first: by creation time
    page: Any = {"limit": 2}
    first: Any = await configurations.list_async(page)
    assert first.object == "list" and first.has_more and len(first.data) == 2
    assert [c.id for c in first.data] == [made[4], made[3]]  # newest first
    seen = [c.id for c in first.data]
    cursor = first.data[-1].id
    while True:
        following: Any = {"limit": 2, "starting_after": cursor}
        page_ = await configurations.list_async(following)
        seen += [c.id for c in page_.data]
        if not page_.has_more:
            break
        cursor = page_.data[-1].id
    assert seen[:5] == made[::-1] and len(seen) == 6 and len(set(seen)) == 6
    before: Any = {"limit": 2, "ending_before": made[1]}
    assert [c.id for c in (await configurations.list_async(before)).data] == [made[3], made[2]]
    inactive: Any = {"active": False}
    assert [c.id for c in (await configurations.list_async(inactive)).data] == [made[2]]
    default: Any = {"is_default": True}
    assert len((await configurations.list_async(default)).data) == 1
    live, _ = await make_stripe(livemode=True)
    assert (await live.v1.billing_portal.configurations.list_async()).data == []
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await live.v1.billing_portal.configurations.retrieve_async(made[0])
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
