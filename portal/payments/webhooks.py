"""Stripe's webhooks: results that arrive after the charge call (PAYMENT_PROCESSOR=stripe).

Every request is checked with `stripe.Webhook.construct_event` against STRIPE_WEBHOOK_SECRET
(signature and age) before anything is read from it. A PaymentIntent that succeeded or
failed later is recorded on the invoice whose charge it is (by the idempotency key in its
metadata), once: the same recording the charge call would have made.
"""

from __future__ import annotations

import logging

import stripe
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal.billing import collection
from portal.payments.processor import STRIPE_WEBHOOK_PATH
from portal.payments.stripe_processor import CHARGE_KEY, result_of

log = logging.getLogger("portal.payments")


async def receive(request: Request) -> Response:
    settings = request.app.state.settings
    payload = await request.body()
    try:
        event = stripe.Webhook.construct_event(
            payload, request.headers.get("stripe-signature", ""), settings.stripe_webhook_secret
        )
    except (ValueError, stripe.SignatureVerificationError):
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    if event.type in ("payment_intent.succeeded", "payment_intent.payment_failed"):
        data = event.to_dict()["data"]["object"]
        intent = stripe.PaymentIntent.construct_from(data, key=None)
        key = (data.get("metadata") or {}).get(CHARGE_KEY)
        if key:
            recorded = await collection.record_later(
                request.app.state.db,
                key,
                result_of(intent),
                collection.Mailer(settings.base_url, settings.test_mode),
            )
            log.info("webhook %s for %s: %s", event.type, key, "recorded" if recorded else "known")
    return JSONResponse({"received": True})


routes = [Route(STRIPE_WEBHOOK_PATH, receive, methods=["POST"], name="stripe_webhook")]
