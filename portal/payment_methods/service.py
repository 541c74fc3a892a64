"""The customer's payment methods: listing them with what each pays for, choosing the default,
removing one. Offered only when the configuration's `payment_method_update` is enabled.

A charge goes to the subscription's own method, else to the customer's default
(billing/queries.payment_method_for); an expired method is never charged. The last method
that can still be charged cannot be removed while a subscription charges automatically."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portal import clock, objects
from portal.billing import changes, events
from portal.billing import queries as billing_queries
from portal.db import Database, Row, new_id
from portal.invoices import queries as invoice_queries
from portal.merchant.configuration import Configuration
from portal.payment_methods import errors, queries
from portal.payments import cards
from portal.payments.processor import PaymentProcessor, SavedCard
from portal.subscriptions import service as subscriptions

SUPPORTED_TYPES = ("card",)


class Added(StrEnum):
    ADDED = "added"
    ALREADY_SAVED = "already_saved"
    NOT_ADDED = "not_added"  # canceled, or left before the end


@dataclass(frozen=True)
class Adding:
    """What came of a card entry."""

    outcome: Added
    method_id: str | None = None
    invoice_to_pay: str | None = None  # an open invoice the new card is offered for


@dataclass(frozen=True)
class Method:
    row: Row
    is_default: bool
    pays_for: list[str]  # the products of the subscriptions it is charged for
    expired: bool
    expires_soon: bool  # this month or the next

    @property
    def id(self) -> str:
        return str(self.row["id"])


@dataclass(frozen=True)
class OwnMethod:
    """A subscription that carries its own method instead of the customer's default."""

    subscription_id: str
    names: str  # its products
    method_id: str


@dataclass(frozen=True)
class Wallet:
    methods: list[Method]
    charging: bool  # a live subscription charges automatically
    own: list[OwnMethod]

    @property
    def usable(self) -> list[Method]:
        return [m for m in self.methods if not m.expired]

    def removable(self, method: Method) -> bool:
        """Not the last usable method while something charges automatically."""
        return not (self.charging and not method.expired and len(self.usable) == 1)


def _check_enabled(configuration: Configuration) -> None:
    if not configuration.features.payment_method_update.enabled:
        raise errors.PaymentMethodsNotOffered(business=configuration.business_name)


async def wallet(db: Database, configuration: Configuration, customer_id: str) -> Wallet:
    _check_enabled(configuration)
    rows = await queries.methods(db, customer_id)
    default = await queries.default_of(db, customer_id)
    subscriptions = await queries.live_subscriptions(db, customer_id)
    today = clock.now().date()
    methods = []
    for row in rows:
        if row["type"] not in SUPPORTED_TYPES:
            continue
        pays_for = [
            s["product_name"]
            for s in subscriptions
            if s["collection_method"] == "charge_automatically"
            and (s["default_payment_method_id"] or default) == row["id"]
        ]
        methods.append(
            Method(
                row,
                row["id"] == default,
                pays_for,
                cards.expired(row, today),
                cards.expires_soon(row, today),
            )
        )
    charging = any(s["collection_method"] == "charge_automatically" for s in subscriptions)
    own: dict[str, OwnMethod] = {}
    for s in subscriptions:
        if s["default_payment_method_id"] and s["collection_method"] == "charge_automatically":
            known = own.get(s["id"])
            names = f"{known.names}, {s['product_name']}" if known else s["product_name"]
            own[s["id"]] = OwnMethod(s["id"], names, s["default_payment_method_id"])
    return Wallet(methods, charging, list(own.values()))


async def _in_wallet(
    db: Database, configuration: Configuration, customer_id: str, payment_method_id: str
) -> tuple[Method, Wallet]:
    """The customer's method (PaymentMethodNotFound for anyone else's) and their wallet."""
    if await billing_queries.payment_method(db, customer_id, payment_method_id) is None:
        raise errors.PaymentMethodNotFound()
    current = await wallet(db, configuration, customer_id)
    method = next((m for m in current.methods if m.id == payment_method_id), None)
    if method is None:
        raise errors.PaymentMethodNotFound()  # of a type the portal does not handle
    return method, current


async def make_default(
    db: Database, configuration: Configuration, customer_id: str, payment_method_id: str
) -> None:
    """Charge this method from now on, wherever a subscription carries no method of its own."""
    async with db.transaction():
        method, _ = await _in_wallet(db, configuration, customer_id, payment_method_id)
        if method.expired:
            raise errors.MethodExpired()
        previous = await queries.default_of(db, customer_id)
        if previous == payment_method_id:
            return
        await queries.set_default(db, customer_id, payment_method_id)
        await _default_changed(db, customer_id, previous)


async def remove(
    db: Database, configuration: Configuration, customer_id: str, payment_method_id: str
) -> None:
    """Detach a method. When it was the default, the newest usable method takes its place."""
    async with db.transaction():
        method, current = await _in_wallet(db, configuration, customer_id, payment_method_id)
        if not current.removable(method):
            raise errors.LastMethod()
        if not await queries.detach(db, customer_id, payment_method_id):
            raise errors.PaymentMethodNotFound()
        await events.record(
            db,
            "payment_method.detached",
            await objects.payment_method(db, payment_method_id),
            {"customer": customer_id},
        )
        for subscription_id in await queries.release(db, customer_id, payment_method_id):
            await events.record(
                db,
                "customer.subscription.updated",
                await objects.subscription(db, subscription_id),
                {"default_payment_method": payment_method_id},
            )
        if method.is_default:
            heir = next((m.id for m in current.usable if m.id != payment_method_id), None)
            await queries.set_default(db, customer_id, heir)
            await _default_changed(db, customer_id, payment_method_id)


async def _default_changed(db: Database, customer_id: str, previous: str | None) -> None:
    await events.record(
        db,
        "customer.updated",
        await objects.customer(db, customer_id),
        {"invoice_settings": {"default_payment_method": previous}},
    )


async def start_adding(
    processor: PaymentProcessor, configuration: Configuration, customer_id: str, return_url: str
) -> str:
    """Where to send the customer to enter a card: the processor's hosted page."""
    _check_enabled(configuration)
    return await processor.start_setup(customer_id, return_url)


async def finish_adding(
    db: Database,
    processor: PaymentProcessor,
    configuration: Configuration,
    customer_id: str,
    setup_id: str,
) -> Adding:
    """Save the card the customer entered at the processor (once, however often they come
    back with this setup). A customer without a usable default gets it as their default; one
    with an open invoice (a failed renewal) is offered to pay it with the new card."""
    _check_enabled(configuration)
    if not setup_id:
        return Adding(Added.NOT_ADDED)  # back from the processor's page without a card
    setup = await processor.setup(setup_id)
    if setup is None or setup.customer_id != customer_id:
        raise errors.PaymentMethodNotFound()
    card = setup.card
    if setup.status != "succeeded" or card is None:
        return Adding(Added.NOT_ADDED)
    outcome, method_id = await _save(db, customer_id, card)
    due = await invoice_queries.oldest_open(db, customer_id) if outcome == Added.ADDED else None
    return Adding(outcome, method_id, due)


async def _save(db: Database, customer_id: str, card: SavedCard) -> tuple[Added, str | None]:
    async with db.transaction():
        found = await queries.matching(db, customer_id, card.token, card.fingerprint)
        if found is not None:
            same = found["processor_token"] == card.token
            return (Added.ADDED if same else Added.ALREADY_SAVED), found["id"]
        method_id = new_id("pm")
        saved = await queries.insert(
            db,
            id=method_id,
            customer_id=customer_id,
            type="card",
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            fingerprint=card.fingerprint,
            processor_token=card.token,
            livemode=False,
            created=clock.timestamp(),
        )
        if not saved:  # saved by another return from this entry, at the same moment
            again = await queries.matching(db, customer_id, card.token, card.fingerprint)
            return Added.ADDED, again["id"] if again else None
        await events.record(
            db, "payment_method.attached", await objects.payment_method(db, method_id)
        )
        default = await queries.default_of(db, customer_id)
        current = (
            await billing_queries.payment_method(db, customer_id, default) if default else None
        )
        if current is None or cards.expired(current, clock.now().date()):
            await queries.set_default(db, customer_id, method_id)
            await _default_changed(db, customer_id, default)
    return Added.ADDED, method_id


async def use_for_subscription(
    db: Database,
    configuration: Configuration,
    customer_id: str,
    subscription_id: str,
    payment_method_id: str,
) -> None:
    """Charge a subscription that carries its own method to another of the customer's cards."""
    async with db.transaction():
        subscription = await subscriptions.scoped(db, customer_id, subscription_id)
        current = await wallet(db, configuration, customer_id)
        if subscription_id not in [o.subscription_id for o in current.own]:
            raise errors.PaymentMethodNotFound()  # it pays with the customer's default
        method = next((m for m in current.methods if m.id == payment_method_id), None)
        if method is None:
            raise errors.PaymentMethodNotFound()
        if method.expired:
            raise errors.MethodExpired()
        if subscription["default_payment_method_id"] != payment_method_id:
            await changes.update(
                db,
                subscription,
                int(subscription["version"]),
                {"default_payment_method_id": payment_method_id},
            )
