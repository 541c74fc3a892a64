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

from portal import clock
from portal.db import Database, Row
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


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    decline_code: str | None = None


class PaymentProcessor(Protocol):
    async def charge(
        self, payment_method: Row, amount: int, currency: str, idempotency_key: str
    ) -> ChargeResult: ...

    async def refund(self, idempotency_key: str) -> None:
        """Give back the whole of the charge made with this key (a no-op if none was)."""


class TestProcessor:
    """Accepts every card but the decline test numbers; remembers charges by key."""

    __test__ = False  # a product class, whatever pytest thinks of its name

    def __init__(self, db: Database) -> None:
        self.db = db

    async def charge(
        self, payment_method: Row, amount: int, currency: str, idempotency_key: str
    ) -> ChargeResult:
        done = await queries.charge(self.db, idempotency_key)
        if done is not None:
            return _result(done["outcome"])
        outcome = DECLINES.get(str(payment_method.get("last4")), "succeeded")
        if cards.expired(payment_method, clock.now().date()):
            outcome = "expired_card"
        await queries.insert_charge(
            self.db,
            idempotency_key=idempotency_key,
            payment_method_id=payment_method["id"],
            amount=amount,
            currency=currency,
            outcome=outcome,
            created=clock.timestamp(),
        )
        return _result(outcome)

    async def refund(self, idempotency_key: str) -> None:
        await queries.refund(self.db, idempotency_key, clock.timestamp())


def processor_for(settings: Settings, db: Database) -> PaymentProcessor:
    """The processor payments go through, as PAYMENT_PROCESSOR says. Only the test processor
    exists so far; a real one implements the same `charge`."""
    match settings.payment_processor:
        case "test":
            return TestProcessor(db)


def warn_if_test_mode(settings: Settings, log: logging.Logger) -> None:
    """Said at every start-up, so that a test deployment is never taken for a live one."""
    if settings.test_mode:
        log.warning(
            "TEST MODE (PAYMENT_PROCESSOR=test): no real payments are taken. Every "
            "charge goes through the built-in test processor and moves no money; "
            "renewals are marked paid all the same. Do not use this deployment for "
            "real customers."
        )


def _result(outcome: str) -> ChargeResult:
    if outcome == "succeeded":
        return ChargeResult(True)
    return ChargeResult(False, outcome)
