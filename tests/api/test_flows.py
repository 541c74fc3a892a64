"""Deep-link flows: a session created with `flow_data` lands in its task, ends as
`after_completion` says, and is refused at creation when the task cannot be done."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import update

from portal.db import Database
from portal.tables import subscriptions
from tests.cancellation.conftest import cancel_feature, cancel_url, retention_coupon, step
from tests.conftest import html
from tests.shop import Shop

FEATURES = {**cancel_feature(), "payment_method_update": {"enabled": True}}
RETURN = "https://example.com/account"


async def open_flow(
    stripe_client: stripe.StripeClient, client: httpx.AsyncClient, params: dict[str, Any]
) -> tuple[Any, httpx.Response]:
    request: Any = params
    session = await stripe_client.v1.billing_portal.sessions.create_async(request)
    client.cookies.clear()
    opened = await client.get(session.url.removeprefix("http://portal.test"))
    assert opened.status_code == 303
    return session, opened


async def cancel_at_period_end(client: httpx.AsyncClient, data: dict[str, Any]) -> httpx.Response:
    page = await step(client, data["subscription"], step="confirm", declined="1")
    form = html(page).css_first("#cancel-flow form[method=post]")
    fields = {
        str(i.attributes["name"]): i.attributes.get("value") or ""
        for i in form.css("input[type=hidden]")
    }
    return await client.post(cancel_url(data["subscription"]), data=fields)


@pytest.mark.parametrize(
    ("after", "lands_at"),
    [
        (
            {"type": "redirect", "redirect": {"return_url": RETURN + "?cancelled=1"}},
            RETURN + "?cancelled=1",
        ),
        ({"type": "portal_homepage"}, "/p/"),
        (
            {
                "type": "hosted_confirmation",
                "hosted_confirmation": {"custom_message": "Sorry to see you go."},
            },
            "/p/done",
        ),
    ],
)
async def test_a_cancel_flow_lands_on_the_cancel_step_and_ends_as_asked(
    shop: Shop,
    stripe_client: stripe.StripeClient,
    client: httpx.AsyncClient,
    after: dict[str, Any],
    lands_at: str,
) -> None:
    data = await shop.customer(more_features=FEATURES, coupons=[retention_coupon()])
    sub = data["subscription"]["id"]
    session, opened = await open_flow(
        stripe_client,
        client,
        {
            "customer": data["customer"]["id"],
            "flow_data": {
                "type": "subscription_cancel",
                "subscription_cancel": {
                    "subscription": sub,
                    "retention": {"type": "coupon_offer", "coupon_offer": {"coupon": "stay25"}},
                },
                "after_completion": after,
            },
        },
    )
    assert session.flow.type == "subscription_cancel"
    assert session.flow.subscription_cancel.retention.coupon_offer.coupon == "stay25"
    assert opened.headers["location"] == cancel_url(data["subscription"])
    offer = await step(client, data["subscription"], step="offer")
    assert html(offer).css_first("#cancel-flow").attributes["data-step"] == "offer"
    ended = await cancel_at_period_end(client, data)
    assert ended.status_code == 303 and ended.headers["location"] == lands_at
    if lands_at == "/p/done":
        done = html(await client.get("/p/done"))
        assert "Sorry to see you go." in done.css_first("main").text()


async def test_the_other_flows_land_in_their_task(
    shop: Shop, stripe_client: stripe.StripeClient, client: httpx.AsyncClient
) -> None:
    data = await shop.customer(more_features=FEATURES)
    customer, sub = data["customer"]["id"], data["subscription"]
    _, opened = await open_flow(
        stripe_client,
        client,
        {"customer": customer, "flow_data": {"type": "payment_method_update"}},
    )
    assert opened.headers["location"] == "/p/payment-methods/"
    _, opened = await open_flow(
        stripe_client,
        client,
        {
            "customer": customer,
            "flow_data": {
                "type": "subscription_update",
                "subscription_update": {"subscription": sub["id"]},
            },
        },
    )
    assert opened.headers["location"] == f"/p/subscriptions/{sub['id']}/update"
    item = sub["items"]["data"][0]["id"]
    session, opened = await open_flow(
        stripe_client,
        client,
        {
            "customer": customer,
            "flow_data": {
                "type": "subscription_update_confirm",
                "subscription_update_confirm": {
                    "subscription": sub["id"],
                    "items": [{"id": item, "price": shop.prices["pro_month"]["id"], "quantity": 2}],
                },
                "after_completion": {"type": "redirect", "redirect": {"return_url": RETURN}},
            },
        },
    )
    location = opened.headers["location"]
    assert location.startswith(f"/p/subscriptions/{sub['id']}/update?price=")
    preview = html(await client.get(location))
    form = preview.css_first("#preview form[method=post]")
    fields = {
        str(i.attributes["name"]): i.attributes.get("value") or ""
        for i in form.css("input[type=hidden]")
    }
    confirmed = await client.post(str(form.attributes["action"]), data=fields)
    assert confirmed.status_code == 303 and confirmed.headers["location"] == RETURN
    assert session.flow.subscription_update_confirm.items[0].quantity == 2


async def test_flows_that_cannot_be_done_are_refused_when_the_session_is_created(
    shop: Shop, stripe_client: stripe.StripeClient, db: Database
) -> None:
    other = await shop.customer(more_features=FEATURES)
    data = await shop.customer(
        more_features={"subscription_update": {"enabled": False}, **cancel_feature()}
    )
    customer, sub = data["customer"]["id"], data["subscription"]["id"]
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {
                "type": "subscription_cancel",
                "subscription_cancel": {"subscription": other["subscription"]["id"]},
            },
            "flow_data[subscription_cancel][subscription]",
        ),
        ({"type": "payment_method_update"}, "flow_data[type]"),  # not enabled
        (
            {"type": "subscription_update", "subscription_update": {"subscription": sub}},
            "flow_data[type]",  # not enabled
        ),
        ({"type": "subscription_cancel"}, "flow_data[subscription_cancel]"),
        (
            {
                "type": "subscription_cancel",
                "subscription_cancel": {"subscription": sub},
                "after_completion": {"type": "redirect"},
            },
            "flow_data[after_completion][redirect]",
        ),
        ({"type": "sightseeing"}, "flow_data[type]"),
    ]
    for flow, param in cases:
        request: Any = {
            "customer": customer,
            "configuration": data["configuration"]["id"],
            "flow_data": flow,
        }
        with pytest.raises(stripe.InvalidRequestError) as refused:
            await stripe_client.v1.billing_portal.sessions.create_async(request)
        assert refused.value.param == param, flow
    # A subscription with a schedule cannot be changed here.
    await db.execute(
        update(subscriptions)
        .where(subscriptions.c.id == other["subscription"]["id"])
        .values(schedule_id="sub_sched_1")
    )
    request = {
        "customer": other["customer"]["id"],
        "configuration": other["configuration"]["id"],
        "flow_data": {
            "type": "subscription_update",
            "subscription_update": {"subscription": other["subscription"]["id"]},
        },
    }
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await stripe_client.v1.billing_portal.sessions.create_async(request)
    assert refused.value.param == "flow_data[subscription_update][subscription]"
