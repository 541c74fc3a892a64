"""Webhooks out: endpoints through the API, events delivered signed as Stripe signs them
(checked with `stripe.Webhook.construct_event`), retried with back-off after a 500, every
attempt recorded, nothing sent twice by two workers, and no endpoint on a private address
unless allowed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import stripe
from sqlalchemy import func, select

from portal import clock
from portal.cli import main
from portal.db import Database
from portal.settings import Settings
from portal.tables import webhook_attempts, webhook_deliveries
from portal.webhooks import delivery
from tests.api.conftest import MakeClient
from tests.shop import Shop
from tests.webhooks.receiver import Receiver, receiving


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, webhooks_to_private_addresses=True)  # the receiver is on loopback


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


async def an_endpoint(client: stripe.StripeClient, url: str, events: list[str]) -> Any:
    params: Any = {"url": url, "enabled_events": events, "description": "orders"}
    return await client.v1.webhook_endpoints.create_async(params)


async def a_session(client: stripe.StripeClient, customer_id: str) -> Any:
    params: Any = {"customer": customer_id}
    return await client.v1.billing_portal.sessions.create_async(params)


async def test_an_event_arrives_signed_and_verifies_with_stripes_library(
    shop: Shop, make_stripe: MakeClient, db: Database, settings: Settings, receiver: Receiver
) -> None:
    data = await shop.customer()
    client, _ = await make_stripe()
    endpoint = await an_endpoint(client, receiver.url, ["billing_portal.session.created"])
    assert endpoint.secret.startswith("whsec_") and endpoint.status == "enabled"
    assert "secret" not in (await client.v1.webhook_endpoints.retrieve_async(endpoint.id))
    session = await a_session(client, data["customer"]["id"])
    assert await delivery.send_due(db, settings) == 1
    [got] = receiver.received
    event = stripe.Webhook.construct_event(got.body, got.signature, endpoint.secret)
    assert event.type == "billing_portal.session.created"
    assert event.data.object.id == session.id and event.api_version == delivery.API_VERSION
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(got.body, got.signature, "whsec_" + "x" * 43)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            got.body.replace(b"session", b"sessiom"), got.signature, endpoint.secret
        )
    assert await delivery.send_due(db, settings) == 0  # delivered once
    # Only the events an endpoint asked for; the listed one is the same event.
    params: Any = {"type": "billing_portal.session.created"}
    [listed] = (await client.v1.events.list_async(params)).data
    assert listed.id == json.loads(got.body)["id"]


async def test_a_500_is_retried_with_back_off_and_each_attempt_is_recorded(
    shop: Shop,
    make_stripe: MakeClient,
    db: Database,
    settings: Settings,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = await shop.customer()
    client, _ = await make_stripe()
    with receiving(answers=[500, 503]) as receiver:
        endpoint = await an_endpoint(client, receiver.url, ["*"])
        await a_session(client, data["customer"]["id"])
        assert await delivery.send_due(db, settings) == 0
        assert await delivery.send_due(db, settings) == 0  # not due again yet
        clock.advance(delivery.BACKOFF_SECONDS[0])
        assert await delivery.send_due(db, settings) == 0  # 503
        clock.advance(delivery.BACKOFF_SECONDS[1] - 1)
        assert await delivery.send_due(db, settings) == 0  # backing off: 5 minutes now
        clock.advance(1)
        assert await delivery.send_due(db, settings) == 1
        assert len(receiver.received) == 3
        for got in receiver.received:
            stripe.Webhook.construct_event(got.body, got.signature, endpoint.secret)
    statuses = [
        r["response_status"]
        for r in await db.fetch_all(
            select(webhook_attempts).order_by(webhook_attempts.c.attempted_at)
        )
    ]
    assert statuses == [500, 503, 200]
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", settings.secret_key)
    await asyncio.to_thread(main, ["webhooks", "list"])
    listed = capsys.readouterr().out
    assert "billing_portal.session.created" in listed and "delivered" in listed and "500" in listed
    delivery_id = await db.fetch_val(select(webhook_deliveries.c.id))
    await asyncio.to_thread(main, ["webhooks", "retry", delivery_id])
    with receiving() as again:
        await client.v1.webhook_endpoints.update_async(endpoint.id, {"url": again.url})
        assert await delivery.send_due(db, settings) == 1
        assert len(again.received) == 1


async def test_an_endpoint_that_never_answers_is_given_up_after_three_days(
    shop: Shop, make_stripe: MakeClient, db: Database, settings: Settings
) -> None:
    data = await shop.customer()
    client, _ = await make_stripe()
    with receiving(answers=[500] * 20) as receiver:
        await an_endpoint(client, receiver.url, ["*"])
        await a_session(client, data["customer"]["id"])
        start = clock.timestamp()
        for _ in range(90):  # hourly worker rounds for 90 hours
            await delivery.send_due(db, settings)
            clock.advance(3600)
        row = await db.fetch_one(select(webhook_deliveries))
        assert row is not None and row["gave_up_at"] is not None and row["delivered_at"] is None
        assert row["attempts"] == delivery.GIVE_UP_AFTER == len(receiver.received)
        assert 3 * 86400 <= row["gave_up_at"] - start < 3.5 * 86400


async def test_two_workers_send_each_event_once(
    shop: Shop, make_stripe: MakeClient, db: Database, settings: Settings, receiver: Receiver
) -> None:
    data = await shop.customer()
    client, _ = await make_stripe()
    await an_endpoint(client, receiver.url, ["billing_portal.session.created"])
    for _ in range(12):
        await a_session(client, data["customer"]["id"])
    sent = await asyncio.gather(delivery.send_due(db, settings), delivery.send_due(db, settings))
    assert sum(sent) == 12
    ids = [json.loads(got.body)["id"] for got in receiver.received]
    assert len(ids) == 12 and len(set(ids)) == 12
    assert await db.fetch_val(select(func.count()).select_from(webhook_attempts)) == 12


async def test_endpoints_are_checked_listed_and_deleted(
    make_stripe: MakeClient, settings: Settings, app: Any
) -> None:
    client, _ = await make_stripe()
    endpoints = client.v1.webhook_endpoints
    for params, param in (
        ({"url": "ftp://example.com/hook", "enabled_events": ["*"]}, "url"),
        ({"url": "https://example.com/hook", "enabled_events": ["charge.lost"]}, "enabled_events"),
        ({"url": "https://example.com/hook"}, "enabled_events"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            await endpoints.create_async(params)  # type: ignore[arg-type]
        assert refused.value.param == param
    made = await an_endpoint(client, "https://example.com/hook", ["customer.updated"])
    listed = await endpoints.list_async()
    assert [e.id for e in listed.data] == [made.id]
    disabled: Any = {"disabled": True, "enabled_events": ["*"]}
    changed = await endpoints.update_async(made.id, disabled)
    assert changed.status == "disabled" and changed.enabled_events == ["*"]
    gone = await endpoints.delete_async(made.id)
    assert gone.deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        await endpoints.retrieve_async(made.id)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.8/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
    ],
)
async def test_private_addresses_are_refused_unless_allowed(
    make_stripe: MakeClient, settings: Settings, url: str
) -> None:
    from portal.webhooks import endpoints

    with pytest.raises(endpoints.EndpointRefused):
        await endpoints.check_url(url, replace(settings, webhooks_to_private_addresses=False))
    await endpoints.check_url(url, settings)
