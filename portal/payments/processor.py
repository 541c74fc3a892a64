"""The payment-processor interface, and the built-in test processor behind it.

The portal never sees card numbers: a processor tokenises them and charges saved methods.
Charges carry an idempotency key (the invoice and attempt, committed before the charge), so a
charge retried after a crash is never taken twice. The test processor simulates the network
with the usual test cards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from starlette.routing import BaseRoute

from portal import clock
from portal.db import Database, Row, new_id
from portal.payments import cards, queries
from portal.settings import Settings

# Test cards by their last four digits, as in the major processors' test modes.
DECLINES = {
    "0002": "card_declined",  # 4000 0000 0000 0002
    "0341": "card_declined",  # 4000 0000 0000 0341: saves, then every charge fails
    "9995": "insufficient_funds",  # 4000 0000 0000 9995
    "0069": "expired_card",  # 4000 0000 0000 0069
    "0119": "processing_error",  # 4000 0000 0000 0119
}
AUTHENTICATE = {"3184"}
"""4000 0027 6000 3184: every payment needs its owner to authenticate (3-D Secure)."""


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    decline_code: str | None = None
    action_url: str | None = None
    """The customer is present and must authenticate there first (3-D Secure)."""
    key: str | None = None  # the idempotency key, when the processor reports a payment later


@dataclass(frozen=True)
class SavedCard:
    """A card as the processor keeps it for us: never its number."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str  # the same for the same card number
    token: str  # the processor's reference, charged later


@dataclass(frozen=True)
class Setup:
    """A hosted card entry, as the processor reports it after the customer's return."""

    customer_id: str
    status: str  # open | succeeded | canceled
    card: SavedCard | None


class PaymentProcessor(Protocol):
    async def charge(
        self,
        payment_method: Row,
        amount: int,
        currency: str,
        idempotency_key: str,
        return_url: str | None = None,
    ) -> ChargeResult:
        """Off-session without `return_url` (a card that needs its owner declines with
        `authentication_required`); with it the customer is present, and may be sent to the
        processor's authentication step (`action_url`), coming back to `return_url` with
        `payment_intent=<reference>` added."""

    async def payment(self, reference: str) -> ChargeResult | None:
        """A payment the customer came back from (None: no such payment), with its key."""

    async def refund(self, idempotency_key: str) -> None:
        """Give back the whole of the charge made with this key (a no-op if none was)."""

    async def start_setup(self, customer_id: str, return_url: str) -> str:
        """Open a hosted card entry for the customer; returns where to send them. The
        processor sends them back to `return_url` with `?setup=<id>` added."""

    async def setup(self, setup_id: str) -> Setup | None:
        """What became of a hosted card entry (None: no such setup)."""


class TestProcessor:
    """Accepts every card but the decline test numbers; remembers charges by key."""

    __test__ = False  # a product class, whatever pytest thinks of its name

    def __init__(self, db: Database, base_url: str = "") -> None:
        self.db = db
        self.base_url = base_url

    async def charge(
        self,
        payment_method: Row,
        amount: int,
        currency: str,
        idempotency_key: str,
        return_url: str | None = None,
    ) -> ChargeResult:
        done = await queries.charge(self.db, idempotency_key)
        if done is None:
            outcome = DECLINES.get(str(payment_method.get("last4")), "succeeded")
            if str(payment_method.get("last4")) in AUTHENTICATE:
                outcome = "requires_action" if return_url else "authentication_required"
            if cards.expired(payment_method, clock.now().date()):
                outcome = "expired_card"
            done = await queries.insert_charge(
                self.db,
                idempotency_key=idempotency_key,
                payment_method_id=payment_method["id"],
                amount=amount,
                currency=currency,
                outcome=outcome,
                return_url=return_url if outcome == "requires_action" else None,
                created=clock.timestamp(),
            )
        return self._result(done, present=return_url is not None)

    async def payment(self, reference: str) -> ChargeResult | None:
        done = await queries.charge(self.db, reference)
        return None if done is None else self._result(done, present=False)

    def _result(self, charge: Row, *, present: bool) -> ChargeResult:
        outcome, key = charge["outcome"], charge["idempotency_key"]
        if outcome == "succeeded":
            return ChargeResult(True, key=key)
        if outcome == "requires_action":
            if present:
                url = f"{self.base_url}/test-processor/payments/{key}/"
                return ChargeResult(False, "authentication_required", url, key)
            return ChargeResult(False, "authentication_required", key=key)
        return ChargeResult(False, outcome, key=key)

    async def refund(self, idempotency_key: str) -> None:
        await queries.refund(self.db, idempotency_key, clock.timestamp())

    async def start_setup(self, customer_id: str, return_url: str) -> str:
        setup_id = new_id("seti")
        await queries.insert_setup(
            self.db,
            id=setup_id,
            customer_id=customer_id,
            return_url=return_url,
            status="open",
            created=clock.timestamp(),
        )
        return f"{self.base_url}/test-processor/setup/{setup_id}/"

    async def setup(self, setup_id: str) -> Setup | None:
        row = await queries.setup(self.db, setup_id)
        if row is None:
            return None
        card = None
        if row["status"] == "succeeded":
            card = SavedCard(
                row["brand"],
                row["last4"],
                row["exp_month"],
                row["exp_year"],
                row["fingerprint"],
                f"tok_{row['id']}",
            )
        return Setup(row["customer_id"], row["status"], card)


def processor_for(settings: Settings, db: Database) -> PaymentProcessor:
    """The processor payments go through, as PAYMENT_PROCESSOR says."""
    match settings.payment_processor:
        case "test":
            return TestProcessor(db, settings.base_url)
        case "stripe":
            from portal.payments import stripe_processor

            return stripe_processor.for_settings(settings)


STRIPE_WEBHOOK_PATH = "/stripe/webhook"


def routes_for(settings: Settings) -> list[BaseRoute]:
    """The processor's own pages: the test processor's card entry and confirmation step, or
    Stripe's webhook endpoint. Stripe's package is imported only when it is the processor."""
    if settings.payment_processor == "stripe":
        from portal.payments import webhooks

        return list(webhooks.routes)
    from portal.payments import test_card_entry

    return list(test_card_entry.routes)


def signed_paths(settings: Settings) -> frozenset[str]:
    """Paths whose requests carry a processor's signature instead of a CSRF token."""
    return frozenset([STRIPE_WEBHOOK_PATH] if settings.payment_processor == "stripe" else [])


async def close(settings: Settings) -> None:
    """Close what the processor keeps open (Stripe's connection pools)."""
    if settings.payment_processor == "stripe":
        from portal.payments import stripe_processor

        await stripe_processor.close_all()


def warn_if_test_mode(settings: Settings, log: logging.Logger) -> None:
    """Said at every start-up, so that a test deployment is never taken for a live one."""
    if settings.test_mode and settings.payment_processor == "stripe":
        log.warning(
            "TEST MODE (PAYMENT_PROCESSOR=stripe with a test key): no real payments are "
            "taken; charges go to Stripe's test mode. Use a live key for real customers."
        )
    elif settings.test_mode:
        log.warning(
            "TEST MODE (PAYMENT_PROCESSOR=test): no real payments are taken. Every "
            "charge goes through the built-in test processor and moves no money; "
            "renewals are marked paid all the same. Do not use this deployment for "
            "real customers."
        )
