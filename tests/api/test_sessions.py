"""Creating portal sessions through the API with the official `stripe` package: the session,
its one-time URL, Stripe's errors as the SDK's own exceptions, keys and modes, idempotency,
and the rate limit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import select

from portal.api import endpoint, keys
from portal.db import Database
from portal.tables import events
from tests.api.conftest import MakeClient
from tests.shop import Shop


async def test_a_session_opens_the_customers_portal(
    shop: Shop, stripe_client: stripe.StripeClient, client: httpx.AsyncClient, db: Database
) -> None:
    data = await shop.customer()
    session = await stripe_client.v1.billing_portal.sessions.create_async(
        {
            "customer": data["customer"]["id"],
            "return_url": "https://example.com/account",
            "locale": "fr-CA",
        }
    )
    assert session.object == "billing_portal.session"
    assert session.id.startswith("bps_") and session.livemode is False
    assert session.customer == data["customer"]["id"]
    assert session.configuration == data["configuration"]["id"]
    assert session.return_url == "https://example.com/account" and session.locale == "fr-CA"
    client.cookies.clear()
    opened = await client.get(session.url.removeprefix("http://portal.test"))
    assert opened.status_code == 303
    home = await client.get(opened.headers["location"])
    assert home.status_code == 200 and 'lang="fr"' in home.text
    again = await client.get(session.url.removeprefix("http://portal.test"))
    assert again.status_code != 303  # one time only
    [event] = await db.fetch_all(
        select(events).where(events.c.type == "billing_portal.session.created")
    )
    assert event["data"]["id"] == session.id and event["data"]["url"] is None  # not kept


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"customer": "cus_nobody"}, "customer", "resource_missing"),
        ({"configuration": "bpc_nothing"}, "configuration", "resource_missing"),
        ({"locale": "xx"}, "locale", "parameter_invalid"),
        ({"return_url": "javascript:alert(1)"}, "return_url", "url_invalid"),
        ({"on_behalf_of": "acct_1"}, "on_behalf_of", "parameter_invalid"),
        ({"colour": "blue"}, "colour", "parameter_unknown"),
        ({"customer": None}, "customer", "parameter_missing"),
    ],
)
async def test_refusals_name_the_parameter(
    shop: Shop,
    stripe_client: stripe.StripeClient,
    params: dict[str, object],
    param: str,
    code: str | None,
) -> None:
    data = await shop.customer()
    request = {"customer": data["customer"]["id"], **params}
    request = {name: value for name, value in request.items() if value is not None}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await stripe_client.v1.billing_portal.sessions.create_async(request)  # type: ignore[arg-type]
    assert refused.value.http_status == 400
    assert refused.value.param == param
    assert refused.value.code == code


async def test_keys_authenticate_and_see_only_their_mode(
    shop: Shop, make_stripe: MakeClient, db: Database
) -> None:
    data = await shop.customer()
    customer: Any = {"customer": data["customer"]["id"]}
    live, _ = await make_stripe(livemode=True)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await live.v1.billing_portal.sessions.create_async(customer)
    assert refused.value.param == "customer"  # a test customer does not exist for a live key
    wrong, _ = await make_stripe(secret="sk_test_" + "x" * 43)
    with pytest.raises(stripe.AuthenticationError):
        await wrong.v1.billing_portal.sessions.create_async(customer)
    good, secret = await make_stripe()
    await good.v1.billing_portal.sessions.create_async(customer)
    [key] = [k for k in await keys.listing(db) if secret.startswith(k["shown"])]
    assert await keys.revoke(db, key["id"])
    with pytest.raises(stripe.AuthenticationError):
        await good.v1.billing_portal.sessions.create_async(customer)


async def test_cookies_are_not_credentials(shop: Shop, client: httpx.AsyncClient) -> None:
    data = await shop.customer()  # the client holds a signed-in session's cookies
    response = await client.post(
        "/v1/billing_portal/sessions", data={"customer": data["customer"]["id"]}
    )
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_the_same_idempotency_key_replays_and_another_body_is_refused(
    shop: Shop, stripe_client: stripe.StripeClient, db: Database
) -> None:
    data = await shop.customer()
    sessions = stripe_client.v1.billing_portal.sessions
    params: Any = {"customer": data["customer"]["id"]}
    first = await sessions.create_async(params, {"idempotency_key": "order-42"})
    second = await sessions.create_async(params, {"idempotency_key": "order-42"})
    assert first.id == second.id and first.url == second.url
    assert second.last_response is not None
    assert second.last_response.headers["idempotent-replayed"] == "true"
    created = await db.fetch_all(
        select(events).where(events.c.type == "billing_portal.session.created")
    )
    assert len(created) == 1
    with pytest.raises(stripe.IdempotencyError):
        changed: Any = {**params, "locale": "de"}
        await sessions.create_async(changed, {"idempotency_key": "order-42"})
    other = await sessions.create_async(params, {"idempotency_key": "order-43"})
    assert other.id != first.id


async def test_too_many_requests_are_refused_with_429(
    shop: Shop, stripe_client: stripe.StripeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = await shop.customer()
    monkeypatch.setattr(endpoint, "RATE_LIMIT", 3)
    for _ in range(3):
        await stripe_client.v1.billing_portal.sessions.create_async(
            {"customer": data["customer"]["id"]}
        )
    with pytest.raises(stripe.RateLimitError):
        await stripe_client.v1.billing_portal.sessions.create_async(
            {"customer": data["customer"]["id"]}
        )


async def test_http_basic_with_the_key_as_user_name(
    shop: Shop, make_stripe: MakeClient, client: httpx.AsyncClient
) -> None:
    data = await shop.customer()
    _, secret = await make_stripe()
    client.cookies.clear()
    response = await client.post(
        "/v1/billing_portal/sessions",
        data={"customer": data["customer"]["id"]},
        auth=(secret, ""),
    )
    assert response.status_code == 200 and response.json()["object"] == "billing_portal.session"
    assert response.headers["cache-control"] == "no-store"
    wrong = await client.post("/v1/billing_portal/sessions", auth=("sk_test_nope", ""))
    assert wrong.status_code == 401 and "sk_test_" in wrong.json()["error"]["message"]
    assert "nope" not in wrong.json()["error"]["message"][8:16]  # the key is not echoed whole


async def test_utf8_in_a_form_body_escaped_or_not(
    shop: Shop, make_stripe: MakeClient, client: httpx.AsyncClient
) -> None:
    data = await shop.customer(more_features={"payment_method_update": {"enabled": True}})
    _, secret = await make_stripe()
    client.cookies.clear()
    message = "Merci d’avoir été client."
    raw = (
        f"customer={data['customer']['id']}&flow_data[type]=payment_method_update"
        "&flow_data[after_completion][type]=hosted_confirmation"
        f"&flow_data[after_completion][hosted_confirmation][custom_message]={message}"
    )
    for body in (
        raw.encode(),
        httpx.QueryParams(dict(p.split("=", 1) for p in raw.split("&"))).__str__().encode(),
    ):
        response = await client.post(
            "/v1/billing_portal/sessions",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
            auth=(secret, ""),
        )
        flow = response.json()["flow"]
        assert flow["after_completion"]["hosted_confirmation"]["custom_message"] == message
