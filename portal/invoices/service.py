"""The customer's invoices: the history (by cursor), one invoice, and paying an open one
now, with a method the customer chooses.

The charge goes through the same steps as the billing clock's (billing/collection.py): its
key is committed first, so a double submit or a crash charges once; a success marks the
invoice paid and a past-due subscription active again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.billing import collection
from portal.billing.invoices import Line, pending_lines
from portal.core.statuses import InvoiceStatus
from portal.db import Database, Row
from portal.errors import NotFound
from portal.invoices import queries
from portal.invoices.errors import InvoicesNotOffered
from portal.merchant.configuration import BusinessProfile, Configuration
from portal.payment_methods import errors as method_errors
from portal.payment_methods import service as payment_methods
from portal.payments.errors import InvoiceNotPayable
from portal.payments.processor import PaymentProcessor


@dataclass(frozen=True)
class Payable:
    invoice: Row
    methods: list[payment_methods.Method]  # those that can be charged, newest first
    chosen: str | None  # the method preselected: asked for, else the default


async def payable(
    db: Database,
    configuration: Configuration,
    customer_id: str,
    invoice_id: str,
    method_id: str | None = None,
) -> Payable:
    invoice = await queries.invoice(db, customer_id, invoice_id)
    if invoice is None:
        raise NotFound()
    wallet = await payment_methods.wallet(db, configuration, customer_id)
    if invoice["status"] != InvoiceStatus.OPEN or not invoice["amount_due"]:
        raise InvoiceNotPayable()
    usable = wallet.usable
    ids = [m.id for m in usable]
    default = next((m.id for m in usable if m.is_default), ids[0] if ids else None)
    return Payable(invoice, usable, method_id if method_id in ids else default)


async def pay(
    db: Database,
    processor: PaymentProcessor,
    configuration: Configuration,
    customer_id: str,
    invoice_id: str,
    method_id: str,
    mailer: collection.Mailer,
    return_url: str,
) -> None:
    """PaymentDeclined says why a payment failed (the invoice then stays open);
    AuthenticationNeeded, where the customer confirms it first."""
    invoice = await payable(db, configuration, customer_id, invoice_id)
    if method_id not in [m.id for m in invoice.methods]:
        raise method_errors.PaymentMethodNotFound()
    await collection.pay_now(
        db, processor, customer_id, invoice_id, method_id, mailer, return_url=return_url
    )


async def come_back(
    db: Database,
    processor: PaymentProcessor,
    configuration: Configuration,
    customer_id: str,
    invoice_id: str,
    reference: str,
    mailer: collection.Mailer,
) -> None:
    await payable(db, configuration, customer_id, invoice_id)  # theirs, open, offered
    await collection.come_back(db, processor, customer_id, invoice_id, reference, mailer)


PAGE_SIZE = 20
FILTERS = ("open", "paid")


@dataclass(frozen=True)
class History:
    invoices: list[Row]
    status: str | None  # the filter shown (None: all)
    after: str | None  # the cursor of this page (None: the first)
    next_after: str | None  # the cursor of the next page (None: this is the last)


@dataclass(frozen=True)
class Detail:
    """An invoice as its page and its PDF show it: the same data for both."""

    invoice: Row  # with `card_brand` and `card_last4` of the card that paid it
    lines: list[Line]
    payable: bool  # open, and the customer may pay it here
    business: BusinessProfile

    @property
    def business_address(self) -> dict[str, Any] | None:
        address = self.business.address
        return address.model_dump() if address else None

    @property
    def customer_country(self) -> str | None:
        return (self.invoice["customer_address"] or {}).get("country")

    @property
    def shipping(self) -> dict[str, Any] | None:
        return self.invoice["customer_shipping"] or None


def _check_enabled(configuration: Configuration) -> None:
    if not configuration.features.invoice_history.enabled:
        raise InvoicesNotOffered(business=configuration.business_name)


async def history(
    db: Database,
    configuration: Configuration,
    customer_id: str,
    status: str | None,
    after: str | None,
) -> History:
    _check_enabled(configuration)
    status = status if status in FILTERS else None
    rows = await queries.page(db, customer_id, status, after or None, PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return History(rows, status, after or None, rows[-1]["id"] if more else None)


async def detail(
    db: Database, configuration: Configuration, customer_id: str, invoice_id: str
) -> Detail:
    invoice = await queries.invoice_with_card(db, customer_id, invoice_id)
    if invoice is None or invoice["status"] == InvoiceStatus.DRAFT:
        raise NotFound()
    _check_enabled(configuration)
    lines = pending_lines(await queries.lines(db, customer_id, invoice_id))
    payable = (
        invoice["status"] == InvoiceStatus.OPEN
        and bool(invoice["amount_due"])
        and configuration.features.payment_method_update.enabled
    )
    return Detail(invoice, lines, payable, configuration.business_profile)
