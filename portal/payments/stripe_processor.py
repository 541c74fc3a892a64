"""The Stripe processor, on the official `stripe` package (PAYMENT_PROCESSOR=stripe).

- Card entry: Stripe Checkout in `setup` mode. The customer leaves for Stripe's page and comes
  back with the Checkout Session's id; the portal reads the saved PaymentMethod from it (brand,
  last 4, expiry, fingerprint), never a card number. No Stripe.js on the portal's pages.
- Charges: off-session PaymentIntents on the saved PaymentMethod, confirmed at once, with the
  portal's idempotency key (one per invoice attempt), so a retry is answered by the first
  charge. A card that needs its owner to authenticate is reported as `authentication_required`.
- Results that arrive later (asynchronous failures, authentication completed elsewhere) come
  through Stripe's signed webhooks (`stripe.Webhook.construct_event`, see webhooks.py).

The portal's customer ids are the Stripe customer ids (the data is imported from Stripe).
"""

from __future__ import annotations

import stripe

from portal.db import Row
from portal.payments.errors import ProcessorUnavailable
from portal.payments.processor import ChargeResult, SavedCard, Setup
from portal.settings import Settings

CHARGE_KEY = "portal_charge"
"""The metadata key that carries the portal's idempotency key on each PaymentIntent."""


_open: dict[Settings, StripeProcessor] = {}


def for_settings(settings: Settings) -> StripeProcessor:
    """One processor (one connection pool) per process and settings."""
    if settings not in _open:
        _open[settings] = StripeProcessor(settings)
    return _open[settings]


async def close_all() -> None:
    """Close the connection pools (at the app's or the worker's shutdown)."""
    while _open:
        _, processor = _open.popitem()
        await processor.http.close_async()  # type: ignore[no-untyped-call]


class StripeProcessor:
    def __init__(self, settings: Settings) -> None:
        assert settings.stripe_secret_key is not None
        self.http = stripe.HTTPXClient(allow_sync_methods=False)
        self.client = stripe.StripeClient(
            settings.stripe_secret_key,
            base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else {},
            http_client=self.http,
            max_network_retries=0,  # a retry is the portal's, with the same idempotency key
        )

    async def charge(
        self,
        payment_method: Row,
        amount: int,
        currency: str,
        idempotency_key: str,
        return_url: str | None = None,
    ) -> ChargeResult:
        present = {"return_url": return_url} if return_url else {"off_session": True}
        try:
            intent = await self.client.v1.payment_intents.create_async(
                params={
                    "amount": amount,
                    "currency": currency,
                    "customer": payment_method["customer_id"],
                    "payment_method": payment_method["processor_token"] or payment_method["id"],
                    "confirm": True,
                    "metadata": {CHARGE_KEY: idempotency_key},
                    **present,  # type: ignore[typeddict-item]
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as error:
            return ChargeResult(False, _decline_code(error), key=idempotency_key)
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            raise ProcessorUnavailable() from error
        return result_of(intent)

    async def payment(self, reference: str) -> ChargeResult | None:
        try:
            intent = await self.client.v1.payment_intents.retrieve_async(reference)
        except stripe.InvalidRequestError:
            return None
        except stripe.APIConnectionError as error:
            raise ProcessorUnavailable() from error
        return result_of(intent)

    async def refund(self, idempotency_key: str) -> None:
        found = await self.client.v1.payment_intents.search_async(
            params={"query": f"metadata['{CHARGE_KEY}']:'{idempotency_key}'"}
        )
        for intent in found.data:
            if intent.status == "succeeded":
                await self.client.v1.refunds.create_async(
                    params={"payment_intent": intent.id},
                    options={"idempotency_key": f"refund:{idempotency_key}"},
                )

    async def start_setup(self, customer_id: str, return_url: str) -> str:
        separator = "&" if "?" in return_url else "?"
        session = await self.client.v1.checkout.sessions.create_async(
            params={
                "mode": "setup",
                "customer": customer_id,
                "currency": "usd",
                "success_url": f"{return_url}{separator}setup={{CHECKOUT_SESSION_ID}}",
                "cancel_url": return_url,
            }
        )
        assert session.url is not None
        return session.url

    async def setup(self, setup_id: str) -> Setup | None:
        try:
            session = await self.client.v1.checkout.sessions.retrieve_async(
                setup_id, params={"expand": ["setup_intent.payment_method"]}
            )
        except stripe.InvalidRequestError:
            return None
        customer = str(session.customer) if session.customer else ""
        intent = session.setup_intent
        if session.status != "complete" or intent is None or isinstance(intent, str):
            return Setup(customer, "canceled" if session.status == "expired" else "open", None)
        method = intent.payment_method
        if intent.status != "succeeded" or method is None or isinstance(method, str):
            return Setup(customer, "open", None)
        card = method.card
        assert card is not None
        return Setup(
            customer,
            "succeeded",
            SavedCard(
                card.brand,
                card.last4,
                card.exp_month,
                card.exp_year,
                card.fingerprint or method.id,
                method.id,
            ),
        )


def result_of(intent: stripe.PaymentIntent) -> ChargeResult:
    """A PaymentIntent's outcome as the portal records it."""
    metadata = intent.metadata.to_dict() if intent.metadata else {}
    key = metadata.get(CHARGE_KEY)
    if intent.status == "succeeded":
        return ChargeResult(True, key=key)
    if intent.status == "requires_action":
        action = intent.next_action
        url = action.redirect_to_url.url if action and action.redirect_to_url else None
        return ChargeResult(False, "authentication_required", url, key)
    error = intent.last_payment_error
    code = (error.decline_code or error.code) if error else None
    code = "authentication_failed" if code == "payment_intent_authentication_failure" else code
    return ChargeResult(False, code or "card_declined", key=key)


def _decline_code(error: stripe.CardError) -> str:
    detail = error.error
    code = (detail.decline_code or detail.code) if detail else None
    return code or "card_declined"
