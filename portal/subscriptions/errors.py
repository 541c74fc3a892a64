"""What can go wrong when changing a subscription, each with its own message."""

from __future__ import annotations

from portal.core.text import N_
from portal.errors import NotFound, PortalError


class SubscriptionNotFound(NotFound):
    pass


class UpdateNotAllowed(PortalError):
    status_code = 403
    title = N_("This change is not available")
    message = N_("Choose one of the plans offered on the page.")


class QuantityOutOfRange(PortalError):
    title = N_("Check the quantity")
    message = N_("Choose a quantity from %(minimum)s to %(maximum)s.")


class SubscriptionChanged(PortalError):
    status_code = 409
    title = N_("Your subscription has changed")
    message = N_(
        "It was changed in another window or tab since this page was shown. Check "
        "the plan below and try again."
    )


class PromotionCodeError(PortalError):
    title = N_("This code cannot be used")


class PromotionCodeUnknown(PromotionCodeError):
    message = N_("There is no promotion code %(code)s. Check the spelling.")


class PromotionCodeInactive(PromotionCodeError):
    message = N_("The promotion code %(code)s is no longer active.")


class PromotionCodeExpired(PromotionCodeError):
    message = N_("The promotion code %(code)s has expired.")


class PromotionCodeUsedUp(PromotionCodeError):
    message = N_("The promotion code %(code)s has been used as many times as it can be.")


class PromotionCodeFirstTimeOnly(PromotionCodeError):
    message = N_("The promotion code %(code)s is for new customers only.")


class PromotionCodeMinimum(PromotionCodeError):
    message = N_("The promotion code %(code)s needs a plan of at least %(amount)s.")


class PromotionCodeCurrency(PromotionCodeError):
    message = N_("The promotion code %(code)s cannot be used with prices in %(currency)s.")


class PromotionCodeProduct(PromotionCodeError):
    message = N_("The promotion code %(code)s does not apply to %(product)s.")
