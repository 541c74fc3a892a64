"""The test processor's hosted card entry, served by the portal while PAYMENT_PROCESSOR=test.

It stands where a real processor's page (Stripe Checkout in setup mode) would: the portal
sends the customer here, and gets them back with the id of the setup, never a card number.
The usual test numbers behave as they do at the major processors:

    4242 4242 4242 4242, 5555 5555 5555 4444   saved
    4000 0000 0000 0002                        declined
    4000 0000 0000 0069                        expired
    4000 0000 0000 9995, 4000 0000 0000 0341   saved; their charges fail (see DECLINES)
    4000 0025 0000 3155                        asks for authentication (3-D Secure) first
    4000 0027 6000 3184                        saved; every payment asks for authentication

A payment that asks for authentication while its owner is present comes here too
(`/test-processor/payments/<key>/`): the customer completes or fails it, and goes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from stdnum import luhn

from portal import clock
from portal.core.text import N_
from portal.errors import NotFound, PortalError
from portal.payments import queries
from portal.security import keyed_hash
from portal.templating import render
from portal.web.forms import text

REFUSED_AT_ENTRY = {
    "0002": N_("Your card was declined. Try another card."),
    "0069": N_("Your card has expired. Try another card."),
}
AUTHENTICATION_REQUIRED = {"4000002500003155"}


class CardEntryError(PortalError):
    title = N_("Check your card details")


@dataclass(frozen=True)
class Card:
    number: str
    exp_month: int
    exp_year: int

    @property
    def brand(self) -> str:
        if self.number.startswith(("34", "37")):
            return "amex"
        if self.number[0] == "4":
            return "visa"
        if self.number[0] in "25":
            return "mastercard"
        return "discover" if self.number.startswith("6") else "card"


def read_card(number: str, expiry: str, cvc: str) -> Card:
    """The card typed in, checked as a processor would; CardEntryError says what is wrong."""
    digits = "".join(c for c in number if c not in " -")
    if not (digits.isascii() and digits.isdigit() and 13 <= len(digits) <= 19) or not (
        luhn.is_valid(digits)
    ):
        raise CardEntryError(N_("This card number is not valid."))
    month, _, year = expiry.replace(" ", "").partition("/")
    if not (month.isdigit() and year.isdigit() and 1 <= int(month) <= 12 and len(year) == 2):
        raise CardEntryError(N_("Enter the expiry date as MM/YY."))
    today = clock.now()
    card = Card(digits, int(month), 2000 + int(year))
    if (card.exp_year, card.exp_month) < (today.year, today.month):
        raise CardEntryError(N_("This card has expired. Check the expiry date."))
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) == (4 if card.brand == "amex" else 3)):
        raise CardEntryError(N_("Check the security code on the back of your card."))
    return card


async def _open_setup(request: Request) -> dict[str, object]:
    setup = await queries.setup(request.app.state.db, request.path_params["setup_id"])
    if setup is None:
        raise NotFound()
    return setup


def _return(url: object, **params: object) -> RedirectResponse:
    """Back to the portal, with what the processor reports added to its return URL."""
    separator = "&" if "?" in str(url) else "?"
    return RedirectResponse(f"{url}{separator}{urlencode(params)}", 303)


def _back(setup: dict[str, object]) -> RedirectResponse:
    return _return(setup["return_url"], setup=setup["id"])


def _page(request: Request, setup: dict[str, object], **context: object) -> Response:
    error = context.get("error")
    return render(
        request,
        "payments/test_card_entry.html",
        {"setup": setup, "error": None, "authenticate": False, **context},
        status_code=error.status_code if isinstance(error, PortalError) else 200,
    )


async def entry_page(request: Request) -> Response:
    setup = await _open_setup(request)
    if setup["status"] != "open":
        return _back(setup)
    return _page(request, setup)


async def submit(request: Request) -> Response:
    setup = await _open_setup(request)
    if setup["status"] != "open":
        return _back(setup)
    form = await request.form()
    try:
        card = read_card(text(form, "number"), text(form, "expiry"), text(form, "cvc"))
        refused = REFUSED_AT_ENTRY.get(card.number[-4:])
        if refused:
            raise CardEntryError(refused)
    except CardEntryError as error:
        return _page(request, setup, error=error)
    settings = request.app.state.settings
    values = {
        "brand": card.brand,
        "last4": card.number[-4:],
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "fingerprint": keyed_hash(settings.secret_key, "card-fingerprint", card.number)[:32],
    }
    if card.number in AUTHENTICATION_REQUIRED:
        # Kept aside until the customer authenticates: the setup is still open.
        await queries.hold_for_authentication(request.app.state.db, str(setup["id"]), values)
        return _page(request, {**setup, **values}, authenticate=True)
    await queries.finish_setup(
        request.app.state.db, str(setup["id"]), {**values, "status": "succeeded"}
    )
    return _back(setup)


async def authenticate(request: Request) -> Response:
    setup = await _open_setup(request)
    if setup["status"] != "open" or setup["authentication"] != "required":
        return _back(setup)
    form = await request.form()
    db = request.app.state.db
    if form.get("outcome") == "complete":
        await queries.finish_setup(
            db, str(setup["id"]), {"status": "succeeded", "authentication": "passed"}
        )
        return _back(setup)
    await queries.hold_for_authentication(db, str(setup["id"]), None)
    return _page(
        request,
        setup,
        error=CardEntryError(N_("The authentication failed. Try again or use another card.")),
    )


async def cancel(request: Request) -> Response:
    setup = await _open_setup(request)
    await queries.finish_setup(request.app.state.db, str(setup["id"]), {"status": "canceled"})
    return _back(setup)


async def _waiting_payment(request: Request) -> dict[str, object]:
    charge = await queries.charge(request.app.state.db, request.path_params["key"])
    if charge is None or not charge["return_url"]:
        raise NotFound()
    return charge


def _back_to_portal(charge: dict[str, object]) -> RedirectResponse:
    return _return(charge["return_url"], payment_intent=charge["idempotency_key"])


async def authentication_page(request: Request) -> Response:
    charge = await _waiting_payment(request)
    if charge["outcome"] != "requires_action":
        return _back_to_portal(charge)
    return render(request, "payments/test_authentication.html", {"charge": charge})


async def authenticate_payment(request: Request) -> Response:
    charge = await _waiting_payment(request)
    form = await request.form()
    outcome = "succeeded" if form.get("outcome") == "complete" else "authentication_failed"
    await queries.settle_authentication(
        request.app.state.db, str(charge["idempotency_key"]), outcome
    )
    return _back_to_portal(charge)


routes = [
    Mount(
        "/test-processor/payments/{key}",
        name="test_payments",
        routes=[
            Route("/", authentication_page, methods=["GET"], name="authentication"),
            Route("/", authenticate_payment, methods=["POST"], name="authenticate"),
        ],
    ),
    Mount(
        "/test-processor/setup/{setup_id}",
        name="test_processor",
        routes=[
            Route("/", entry_page, methods=["GET"], name="entry"),
            Route("/", submit, methods=["POST"], name="submit"),
            Route("/authenticate", authenticate, methods=["POST"], name="authenticate"),
            Route("/cancel", cancel, methods=["POST"], name="cancel"),
        ],
    ),
]
