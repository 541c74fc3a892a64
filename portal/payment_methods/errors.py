"""What can go wrong with payment methods, each with its own message."""

from __future__ import annotations

from portal.core.text import N_
from portal.errors import NotFound, PortalError


class PaymentMethodNotFound(NotFound):
    pass


class PaymentMethodsNotOffered(PortalError):
    status_code = 403
    title = N_("Payment methods cannot be changed here")
    message = N_("Contact %(business)s to change how you pay.")


class MethodExpired(PortalError):
    title = N_("This card has expired")
    message = N_("An expired card cannot be charged. Choose another one, or add a new card.")


class LastMethod(PortalError):
    status_code = 409
    title = N_("This is your only payment method")
    message = N_(
        "A subscription is paid with it. Add another payment method first, then remove this one."
    )
