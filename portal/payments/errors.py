"""What the customer is told when a payment does not go through."""

from __future__ import annotations

from portal.core.text import N_
from portal.errors import PortalError

# Why a charge failed, by the processor's decline code, in the customer's words.
DECLINES = {
    "card_declined": N_("Your card was declined. Nothing was charged and nothing was changed."),
    "insufficient_funds": N_(
        "Your card has insufficient funds. Nothing was charged and nothing was changed."
    ),
    "expired_card": N_("Your card has expired. Nothing was charged and nothing was changed."),
    "processing_error": N_(
        "The payment could not be processed. Nothing was charged and "
        "nothing was changed; please try again in a moment."
    ),
    "no_payment_method": N_("There is no payment method to charge. Nothing was changed."),
    "authentication_failed": N_(
        "The payment was not confirmed with your bank. Nothing was charged; try again or use "
        "another card."
    ),
    "authentication_required": N_(
        "Your bank asks you to confirm this payment. Nothing was charged; try another card."
    ),
    "processor_unavailable": N_(
        "We could not reach the payment processor. We will finish this payment in a few "
        "minutes, and you will not be charged twice."
    ),
}


class ProcessorUnavailable(Exception):
    """The processor did not answer (a timeout, a network error): a charge may or may not
    have been taken. Asked again with the same idempotency key, it tells."""


class PaymentDeclined(PortalError):
    status_code = 402
    title = N_("The payment did not go through")

    def __init__(self, decline_code: str) -> None:
        self.decline_code = decline_code
        super().__init__(DECLINES.get(decline_code, DECLINES["card_declined"]))


class InvoiceNotPayable(PortalError):
    status_code = 409
    title = N_("This invoice cannot be paid now")
    message = N_("It has been paid already, or a payment for it is on its way.")


class AuthenticationNeeded(Exception):
    """The customer must confirm the payment at the processor first (3-D Secure): send them
    to `url`; the charge stays in flight until they come back."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url
