"""Taking payment for invoices, in three committed steps: start, charge, record.

The invoice and the idempotency key of its charge are committed before the processor is
called. A process stopped between the charge and its record leaves the key in place; whoever
picks the invoice up again charges with the same key, and the processor answers with the
first charge instead of taking a second one. Recording is conditional on the key, so one
charge is recorded once, whoever records it.

Open invoices (renewals, final invoices) are collected by the billing clock, with retries.
A draft carrying a change (`change_on_payment`) is paid while the customer waits: the change
is made only when the payment succeeds; a decline removes the draft and changes nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from portal import clock, i18n, mail, objects
from portal.billing import across_customers, changes, events, invoices, queries
from portal.core.statuses import InvoiceStatus, SubscriptionStatus
from portal.db import Database, Row
from portal.merchant import queries as configurations
from portal.payments import cards
from portal.payments.errors import (
    AuthenticationNeeded,
    InvoiceNotPayable,
    PaymentDeclined,
    ProcessorUnavailable,
)
from portal.payments.processor import ChargeResult, PaymentProcessor
from portal.subscriptions.errors import SubscriptionChanged

log = logging.getLogger("portal.billing")

RETRY_DELAYS = (3 * 86400, 5 * 86400, 7 * 86400)
"""After a failed automatic charge: when to try again (then the invoice is left open)."""
CLAIM_SECONDS = 300
"""How long a started charge is left to its process before another may finish it."""


IN_DOUBT = ChargeResult(False, "processor_unavailable")
"""The processor did not answer: nothing is recorded, the charge's key stays in flight."""


@dataclass(frozen=True)
class Started:
    invoice: Row
    key: str
    method: Row | None


@dataclass(frozen=True)
class Mailer:
    """What the mails about payments need: the portal's address (for the sign-in link) and
    whether it runs in test mode."""

    base_url: str
    test_mode: bool


async def _start(
    db: Database,
    customer_id: str,
    invoice_id: str,
    *,
    draft: bool,
    method_id: str | None = None,
) -> Started | None:
    """Take the invoice for one charge; None when it is not (or no longer) to be charged.
    `method_id`: the customer pays now with this method, whatever the retry schedule says."""
    now = clock.timestamp()
    async with db.transaction():
        invoice = await queries.lock_invoice(db, customer_id, invoice_id)
        if invoice is None or invoice["status"] != (
            InvoiceStatus.DRAFT if draft else InvoiceStatus.OPEN
        ):
            return None
        if (
            not draft
            and method_id is None
            and (invoice["next_payment_attempt"] is None or invoice["next_payment_attempt"] > now)
        ):
            return None
        key = invoice["charge_key"] or f"{invoice_id}:{invoice['attempt_count'] + 1}"
        await queries.update_invoice(
            db,
            customer_id,
            invoice_id,
            {
                "charge_key": key,
                "charge_started_at": now,
                **({} if draft else {"next_payment_attempt": now + CLAIM_SECONDS}),
            },
        )
        if method_id is not None:
            method = await queries.payment_method(db, customer_id, method_id)
        else:
            method = await queries.payment_method_for(db, customer_id, invoice["subscription_id"])
        return Started(invoice, key, method)


async def _charge(
    processor: PaymentProcessor, started: Started, return_url: str | None = None
) -> ChargeResult:
    invoice = started.invoice
    if started.method is None:
        return ChargeResult(False, "no_payment_method")
    if cards.expired(started.method, clock.now().date()):
        return ChargeResult(False, "expired_card")  # never sent to the processor
    try:
        return await processor.charge(
            started.method,
            invoice["amount_due"],
            invoice["currency"],
            idempotency_key=started.key,
            return_url=return_url,
        )
    except ProcessorUnavailable:
        # The charge may or may not have been taken: its key stays in flight, and whoever
        # tries again (the clock after CLAIM_SECONDS, or the customer) asks with the same key.
        log.warning("processor unavailable for %s; it will be asked again", started.key)
        return IN_DOUBT


# -- Open invoices: the billing clock ------------------------------------------------------


async def collect(
    db: Database,
    processor: PaymentProcessor,
    customer_id: str,
    invoice_id: str,
    mailer: Mailer | None = None,
) -> bool:
    """Charge an open invoice whose attempt is due; True when it is paid. A failure schedules
    the next try (none after the last) and leaves the invoice open."""
    started = await _start(db, customer_id, invoice_id, draft=False)
    if started is None:
        return False
    result = await _charge(processor, started)
    if result is not IN_DOUBT:
        await _record(db, started, result, mailer)
    return result.succeeded


async def pay_now(
    db: Database,
    processor: PaymentProcessor,
    customer_id: str,
    invoice_id: str,
    method_id: str,
    mailer: Mailer | None = None,
    return_url: str | None = None,
) -> None:
    """The customer pays an open invoice with one of their methods, now. PaymentDeclined says
    why it failed; the invoice then stays open. A double submit shares the charge's key, so
    the processor takes one payment and it is recorded once. AuthenticationNeeded sends the
    customer to the processor's step; they come back to `return_url` (see `come_back`)."""
    started = await _start(db, customer_id, invoice_id, draft=False, method_id=method_id)
    if started is None:
        raise InvoiceNotPayable()
    result = await _charge(processor, started, return_url)
    if result.action_url:
        raise AuthenticationNeeded(result.action_url)  # the charge stays in flight
    await _settle(db, started, result, mailer)


async def come_back(
    db: Database,
    processor: PaymentProcessor,
    customer_id: str,
    invoice_id: str,
    reference: str,
    mailer: Mailer | None = None,
) -> None:
    """The customer is back from authenticating a payment of this invoice: record what the
    processor says of it (PaymentDeclined if it failed), once."""
    invoice = await queries.invoice(db, customer_id, invoice_id)
    result = await processor.payment(reference) if reference else None
    if invoice is None or result is None or result.key != invoice["charge_key"]:
        raise InvoiceNotPayable()  # paid, or settled by another request meanwhile
    if result.action_url:
        raise AuthenticationNeeded(result.action_url)
    await _settle(db, _in_flight(invoice, str(result.key)), result, mailer)


async def _settle(
    db: Database, started: Started, result: ChargeResult, mailer: Mailer | None
) -> None:
    """Record a payment the customer made while on the page; PaymentDeclined if it failed."""
    if result is not IN_DOUBT:
        # The customer sees a failure on the page: only a receipt is mailed.
        await _record(db, started, result, mailer if result.succeeded else None)
    if not result.succeeded:
        raise PaymentDeclined(result.decline_code or "card_declined")


async def record_later(db: Database, key: str, result: ChargeResult, mailer: Mailer | None) -> bool:
    """The outcome of an open invoice's charge, reported later by the processor (a webhook);
    False when that charge is no longer in flight (already recorded)."""
    invoice = await across_customers.invoice_charging(db, key)
    if invoice is None or invoice["status"] != InvoiceStatus.OPEN:
        return False
    return await _record(db, _in_flight(invoice, key), result, mailer)


def _in_flight(invoice: Row, key: str) -> Started:
    """A charge in flight, picked up from its result: which card it went to is the
    processor's to know, so its receipt names none."""
    return Started(invoice, key, None)


async def _record(
    db: Database, started: Started, result: ChargeResult, mailer: Mailer | None
) -> bool:
    """Record a charge's outcome once (whoever records it first); False if already done."""
    invoice = started.invoice
    customer_id, invoice_id = invoice["customer_id"], invoice["id"]
    now = clock.timestamp()
    attempt = invoice["attempt_count"] + 1
    async with db.transaction():
        if result.succeeded:
            values = {
                "status": InvoiceStatus.PAID,
                "amount_paid": invoice["amount_due"],
                "paid_at": now,
                "next_payment_attempt": None,
                "last_decline_code": None,
                "payment_method_id": started.method["id"] if started.method else None,
            }
        else:
            retry = now + RETRY_DELAYS[attempt - 1] if attempt <= len(RETRY_DELAYS) else None
            values = {"next_payment_attempt": retry, "last_decline_code": result.decline_code}
        if not await queries.update_invoice(
            db,
            customer_id,
            invoice_id,
            {**values, "attempt_count": attempt, "charge_key": None, "charge_started_at": None},
            charge_key=started.key,
        ):
            return False  # another process recorded this charge
        kind = "invoice.paid" if result.succeeded else "invoice.payment_failed"
        await events.record(db, kind, await objects.invoice(db, invoice_id))
        if invoice["subscription_id"]:
            await _follow_payment(db, customer_id, invoice["subscription_id"])
        if mailer is not None:
            await _mail(db, mailer, invoice, started.method, result)
    return True


async def _mail(
    db: Database, mailer: Mailer, invoice: Row, method: Row | None, result: ChargeResult
) -> None:
    """A receipt, or word that the payment failed with the way to sign in and fix it, in the
    customer's language and under the business's default configuration."""
    configuration = await configurations.default(db)
    if configuration is None:
        return
    link = configuration.login_link
    await mail.queue_to_customer(
        db,
        invoice["customer_id"],
        template="payment_receipt" if result.succeeded else "payment_failed",
        locale=i18n.match(await queries.preferred_locale(db, invoice["customer_id"])) or "en",
        context={
            **mail.business_context(configuration),
            "number": invoice["number"],
            "amount": invoice["amount_due"],
            "currency": invoice["currency"],
            "brand": method["brand"] if method else None,
            "last4": method["last4"] if method else None,
            "decline_code": result.decline_code,
            "sign_in_url": f"{mailer.base_url}/p/login/{link}" if link else None,
        },
        test_mode=mailer.test_mode,
    )


async def _follow_payment(db: Database, customer_id: str, subscription_id: str) -> None:
    """A live subscription is past due while one of its invoices is open, active otherwise."""
    sub = await queries.subscription(db, customer_id, subscription_id)
    if sub is None or sub["status"] not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE):
        return
    open_invoice = await queries.has_open_invoice(db, customer_id, sub["id"])
    status = SubscriptionStatus.PAST_DUE if open_invoice else SubscriptionStatus.ACTIVE
    if status != sub["status"]:
        await queries.set_subscription(db, customer_id, sub["id"], {"status": status})
        await events.record(
            db,
            "customer.subscription.updated",
            await objects.subscription(db, sub["id"]),
            {"status": sub["status"]},
        )


async def collect_due(
    db: Database,
    processor: PaymentProcessor,
    now: int,
    limit: int = 100,
    mailer: Mailer | None = None,
) -> int:
    """Charge open invoices whose next attempt has come; returns how many were paid."""
    paid = 0
    for row in await across_customers.collectable_invoices(db, now, limit):
        paid += await collect(db, processor, row["customer_id"], row["id"], mailer)
    return paid


# -- Drafts that carry a change: paid while the customer waits -----------------------------


async def pay_for_change(
    db: Database, processor: PaymentProcessor, customer_id: str, invoice_id: str
) -> None:
    """Charge a change's draft and make the change. PaymentDeclined when the payment fails
    (nothing changed); SubscriptionChanged when the subscription moved on meanwhile (the
    payment is refunded)."""
    started = await _start(db, customer_id, invoice_id, draft=True)
    if started is None:
        return  # settled by another process
    result = await _charge(processor, started)
    if result is IN_DOUBT:
        raise PaymentDeclined("processor_unavailable")  # settle_unfinished finishes it
    if not result.succeeded:
        await _drop_draft(db, started)
        raise PaymentDeclined(result.decline_code or "card_declined")
    try:
        async with db.transaction():
            if not await queries.update_invoice(
                db,
                customer_id,
                invoice_id,
                {"charge_key": None, "charge_started_at": None, "attempt_count": 1},
                charge_key=started.key,
            ):
                return  # another process recorded this payment
            # The change first: a discount it brings exists when the invoice uses it up.
            await changes.write(db, changes.Change.from_json(started.invoice["change_on_payment"]))
            await invoices.finalize(
                db,
                invoice_id,
                customer_id,
                paid=True,
                payment_method_id=started.method["id"] if started.method else None,
            )
    except SubscriptionChanged:
        await processor.refund(started.key)
        await _drop_draft(db, started)
        raise


async def _drop_draft(db: Database, started: Started) -> None:
    invoice = started.invoice
    async with db.transaction():
        if not await queries.delete_draft(db, invoice["customer_id"], invoice["id"], started.key):
            return
        discount = (invoice["change_on_payment"] or {}).get("discount")
        if discount:
            await queries.give_back_redemption(
                db, discount["promotion_code_id"], discount["coupon_id"]
            )


async def settle_unfinished(
    db: Database, processor: PaymentProcessor, now: int, limit: int = 100
) -> int:
    """Finish the changes whose payment was started by a process that then stopped: the same
    key takes the payment at most once, and the change is made or dropped as it would have
    been. Returns how many were settled."""
    settled = 0
    for row in await across_customers.unsettled_drafts(db, now - CLAIM_SECONDS, limit):
        try:
            await pay_for_change(db, processor, row["customer_id"], row["id"])
        except (PaymentDeclined, SubscriptionChanged) as outcome:
            log.info("unfinished change on %s settled: %s", row["id"], type(outcome).__name__)
        settled += 1
    return settled
