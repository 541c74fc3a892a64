"""The Stripe adapter against a local server answering in Stripe's shapes: card entry through
Checkout in setup mode, off-session PaymentIntents with the portal's idempotency keys, the
declines in the customer's words, a processor that cannot be reached, and signed webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from portal.billing import collection
from portal.db import Database
from portal.payments.errors import PaymentDeclined
from portal.payments.stripe_processor import StripeProcessor
from portal.settings import Settings
from portal.tables import events, invoices, payment_methods
from tests.cancellation.conftest import hidden_fields
from tests.conftest import BASE_URL, free_port, html
from tests.invoices.test_pay import past_due, pay, row
from tests.payment_methods.test_methods import PAGE
from tests.payments.stripe_server import FakeStripe, running
from tests.shop import Shop

WEBHOOK_SECRET = "whsec_test_portal"


@pytest.fixture
def stripe_api() -> Iterator[FakeStripe]:
    with running() as fake:
        yield fake


@pytest.fixture
def settings(settings: Settings, stripe_api: FakeStripe) -> Settings:
    return replace(
        settings,
        payment_processor="stripe",
        stripe_secret_key="sk_test_portal",
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=stripe_api.url,
    )


async def add_card(client: AsyncClient, stripe_api: FakeStripe, number: str) -> None:
    """Press "Add a card", enter `number` on Checkout's page, come back."""
    form = html(await client.get(PAGE)).css_first("form[action$='/add']")
    sent = await client.post(str(form.attributes["action"]), data=hidden_fields(form))
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("https://checkout.stripe.test/c/cs_")
    [session] = [s for s in stripe_api.sessions.values() if s["status"] == "open"]
    stripe_api.complete(session["id"], number)
    assert session["success_url"].startswith(f"{BASE_URL}/p/payment-methods/added?setup=cs_")
    back = await client.get(session["success_url"].removeprefix(BASE_URL))
    assert back.status_code == 303


async def test_a_card_saved_through_checkout_pays_the_open_invoice(
    shop: Shop, client: AsyncClient, db: Database, stripe_api: FakeStripe
) -> None:
    data = await past_due(shop, db)
    customer_id = data["customer"]["id"]
    await add_card(client, stripe_api, "4242424242424242")
    card = await db.fetch_one(
        select(payment_methods).where(payment_methods.c.fingerprint == "fp42424242")
    )
    assert card is not None and card["processor_token"].startswith("pm_test")
    assert card["customer_id"] == customer_id and card["brand"] == "visa"
    done = await pay(client, data["due"]["id"], card["id"])
    assert done.status_code == 303
    assert (await row(db, invoices, data["due"]["id"]))["status"] == "paid"
    [intent] = stripe_api.intents.values()
    assert intent["amount"] == 1900 and intent["currency"] == "eur"
    assert intent["payment_method"] == card["processor_token"]
    assert intent["metadata"]["portal_charge"].startswith(f"{data['due']['id']}:")
    assert stripe_api.keys_seen == [intent["metadata"]["portal_charge"]]


async def test_leaving_checkout_without_a_card_adds_none(
    shop: Shop, client: AsyncClient, db: Database, stripe_api: FakeStripe
) -> None:
    await past_due(shop, db)
    form = html(await client.get(PAGE)).css_first("form[action$='/add']")
    await client.post(str(form.attributes["action"]), data=hidden_fields(form))
    [session] = stripe_api.sessions.values()
    back = await client.get(session["cancel_url"].removeprefix(BASE_URL))
    assert back.status_code == 303
    assert "No card was added." in html(await client.get(back.headers["location"])).text()


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("4000000000000002", "Your card was declined."),
        ("4000000000009995", "Your card has insufficient funds."),
    ],
)
async def test_declines_are_said_in_the_customers_words(
    shop: Shop,
    client: AsyncClient,
    db: Database,
    stripe_api: FakeStripe,
    number: str,
    message: str,
) -> None:
    data = await past_due(shop, db)
    await add_card(client, stripe_api, number)
    card = await db.fetch_one(select(payment_methods).where(payment_methods.c.last4 == number[-4:]))
    assert card is not None
    refused = await pay(client, data["due"]["id"], card["id"])
    assert refused.status_code == 402 and message in refused.text
    assert (await row(db, invoices, data["due"]["id"]))["status"] == "open"


async def test_an_unreachable_stripe_is_asked_again_with_the_same_key(
    shop: Shop, db: Database, settings: Settings, stripe_api: FakeStripe
) -> None:
    data = await past_due(shop, db)
    stripe_api.methods["pm_saved"] = {
        "id": "pm_saved",
        "customer": data["customer"]["id"],
        "card": {"last4": "4242"},
    }
    await db.execute(
        payment_methods.update()
        .where(payment_methods.c.id == data["card"]["id"])
        .values(processor_token="pm_saved")
    )
    customer_id, invoice_id = data["customer"]["id"], data["due"]["id"]
    away = StripeProcessor(replace(settings, stripe_api_base=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(PaymentDeclined) as declined:
        await collection.pay_now(db, away, customer_id, invoice_id, data["card"]["id"])
    assert declined.value.decline_code == "processor_unavailable"
    waiting = await row(db, invoices, invoice_id)
    assert waiting["status"] == "open" and waiting["charge_key"] is not None
    back = StripeProcessor(settings)
    await collection.pay_now(db, back, customer_id, invoice_id, data["card"]["id"])
    assert (await row(db, invoices, invoice_id))["status"] == "paid"
    assert stripe_api.keys_seen == [waiting["charge_key"]]
    assert len(stripe_api.intents) == 1
    await away.http.close_async()  # type: ignore[no-untyped-call]


def signed(payload: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    """A webhook body and its Stripe-Signature header, as Stripe documents the scheme."""
    body = json.dumps(payload).encode()
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={mac}"


async def test_a_signed_webhook_records_a_late_result_once(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await past_due(shop, db)
    invoice_id = data["due"]["id"]
    key = f"{invoice_id}:1"
    await db.execute(invoices.update().where(invoices.c.id == invoice_id).values(charge_key=key))
    event = {
        "id": "evt_test1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": "pi_late",
                "object": "payment_intent",
                "status": "succeeded",
                "metadata": {"portal_charge": key},
            }
        },
    }
    body, signature = signed(event)
    forged, _ = signed({**event, "id": "evt_forged"})
    refused = await client.post(
        "/stripe/webhook", content=forged, headers={"stripe-signature": signature}
    )
    assert refused.status_code == 400
    assert (await row(db, invoices, invoice_id))["status"] == "open"
    _, wrong_secret = signed(event, secret="whsec_someone_else")
    assert (
        await client.post(
            "/stripe/webhook", content=body, headers={"stripe-signature": wrong_secret}
        )
    ).status_code == 400
    for _ in range(2):  # Stripe may deliver an event more than once
        done = await client.post(
            "/stripe/webhook", content=body, headers={"stripe-signature": signature}
        )
        assert done.status_code == 200
    assert (await row(db, invoices, invoice_id))["status"] == "paid"
    paid = await db.fetch_all(select(events).where(events.c.type == "invoice.paid"))
    assert len(paid) == 1


async def test_a_payment_that_needs_the_customer_goes_through_stripes_step(
    shop: Shop, client: AsyncClient, db: Database, stripe_api: FakeStripe
) -> None:
    data = await past_due(shop, db)
    await add_card(client, stripe_api, "4000002760003184")
    card = await db.fetch_one(
        select(payment_methods).where(payment_methods.c.fingerprint == "fp60003184")
    )
    assert card is not None
    sent = await pay(client, data["due"]["id"], card["id"])
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("https://hooks.stripe.test/3ds/pi_")
    [intent] = stripe_api.intents.values()
    stripe_api.authenticate(intent["id"])
    back = f"/p/invoices/{data['due']['id']}/paid?payment_intent={intent['id']}"
    home = await client.get(back)
    assert home.status_code == 303 and home.headers["location"] == "/p/"
    assert (await row(db, invoices, data["due"]["id"]))["status"] == "paid"


async def test_a_double_submit_makes_one_payment_intent(
    shop: Shop, client: AsyncClient, db: Database, stripe_api: FakeStripe
) -> None:
    data = await past_due(shop, db)
    await add_card(client, stripe_api, "4242424242424242")
    card = await db.fetch_one(
        select(payment_methods).where(payment_methods.c.fingerprint == "fp42424242")
    )
    assert card is not None
    page = await client.get(f"/p/invoices/{data['due']['id']}/pay")
    form = html(page).css_first("form[action$='/pay']")
    fields = {**hidden_fields(form), "payment_method": card["id"]}
    answers = await asyncio.gather(
        *(client.post(str(form.attributes["action"]), data=fields) for _ in range(3))
    )
    assert {a.status_code for a in answers} <= {303, 409}
    assert len(stripe_api.intents) == 1
    assert (await row(db, invoices, data["due"]["id"]))["status"] == "paid"
