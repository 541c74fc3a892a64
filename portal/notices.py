"""One-time notices after a redirect ("Your plan has been changed.").

The action that succeeded sets a signed cookie on its redirect; the next page rendered shows
the notice and clears the cookie, so a reload does not repeat it. The cookie carries a key
of the fixed set below, never text: a forged, foreign or unknown value shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal.core.text import N_
from portal.security import cookie_name, signed_value, signer

COOKIE = "portal_notice"
MAX_AGE = 300  # the redirect is followed at once; a stale notice is worse than none
PURPOSE = "notice"


class Notice(StrEnum):
    PLAN_CHANGED = "plan_changed"
    PLAN_CHANGED_AND_PAID = "plan_changed_and_paid"
    CHANGE_SCHEDULED = "change_scheduled"
    CURRENT_PLAN_KEPT = "current_plan_kept"
    CANCELED = "canceled"
    CANCEL_SCHEDULED = "cancel_scheduled"
    CANCEL_UNDONE = "cancel_undone"
    OFFER_ACCEPTED = "offer_accepted"
    PAUSED = "paused"
    RESUMED = "resumed"
    DEFAULT_METHOD = "default_method"
    SUBSCRIPTION_METHOD = "subscription_method"
    CARD_ADDED = "card_added"
    CARD_ADDED_PAY_NOW = "card_added_pay_now"
    INVOICE_PAID = "invoice_paid"
    CARD_ALREADY_SAVED = "card_already_saved"
    CARD_NOT_ADDED = "card_not_added"
    DETAILS_SAVED = "details_saved"
    DETAILS_UNCHANGED = "details_unchanged"
    TAX_ID_ADDED = "tax_id_added"
    TAX_ID_REMOVED = "tax_id_removed"
    METHOD_REMOVED = "method_removed"
    CODE_RESENT = "code_resent"
    CODE_ALREADY_SENT = "code_already_sent"
    CODES_CAPPED = "codes_capped"


@dataclass(frozen=True)
class Text:
    message: str  # an untranslated msgid, translated where it is shown
    tone: Literal["success", "info", "error"] = "success"
    payment: bool = False
    """It confirms a payment (test mode then says that no money was taken)."""


TEXTS: dict[Notice, Text] = {
    Notice.PLAN_CHANGED: Text(N_("Your plan has been changed.")),
    Notice.PLAN_CHANGED_AND_PAID: Text(
        N_("Your plan has been changed and the payment went through."), payment=True
    ),
    Notice.CHANGE_SCHEDULED: Text(N_("Your plan will change at the end of the current period.")),
    Notice.CURRENT_PLAN_KEPT: Text(N_("You are keeping your current plan.")),
    Notice.CANCELED: Text(N_("Your subscription has been cancelled.")),
    Notice.CANCEL_SCHEDULED: Text(
        N_(
            "Your subscription will end at the end of the current period. Until then, you can "
            "still keep it."
        )
    ),
    Notice.CANCEL_UNDONE: Text(N_("Your subscription will continue. It is no longer set to end.")),
    Notice.OFFER_ACCEPTED: Text(N_("The discount has been applied. Thank you for staying.")),
    Notice.PAUSED: Text(N_("Payments are paused. We have sent you a confirmation by email.")),
    Notice.RESUMED: Text(N_("Payments have resumed.")),
    Notice.CARD_ADDED: Text(N_("Your card has been saved.")),
    Notice.CARD_ADDED_PAY_NOW: Text(
        N_("Your card has been saved. You can pay your open invoice with it now.")
    ),
    Notice.INVOICE_PAID: Text(N_("Thank you: your payment went through."), payment=True),
    Notice.CARD_ALREADY_SAVED: Text(N_("This card was already saved."), tone="info"),
    Notice.CARD_NOT_ADDED: Text(N_("No card was added."), tone="info"),
    Notice.DETAILS_SAVED: Text(
        N_("Your billing details have been saved. Your next invoices will show them.")
    ),
    Notice.DETAILS_UNCHANGED: Text(N_("Nothing was changed."), tone="info"),
    Notice.TAX_ID_ADDED: Text(N_("The tax ID has been added. Your next invoices will show it.")),
    Notice.TAX_ID_REMOVED: Text(N_("The tax ID has been removed.")),
    Notice.DEFAULT_METHOD: Text(N_("Your default payment method has been changed.")),
    Notice.SUBSCRIPTION_METHOD: Text(N_("The subscription will be charged to the card you chose.")),
    Notice.METHOD_REMOVED: Text(N_("The payment method has been removed.")),
    Notice.CODE_RESENT: Text(
        N_("We have sent a new code. Codes sent before it no longer work."), tone="info"
    ),
    Notice.CODE_ALREADY_SENT: Text(
        N_(
            "We already sent you a code. Check your inbox and spam folder; you can ask for a "
            "new one in a minute."
        ),
        tone="info",
    ),
    Notice.CODES_CAPPED: Text(
        N_(
            "Several codes were sent to this address in the last few minutes, so no new one was "
            "sent. Open the sign-in link in the most recent email: it works on any device. Or "
            "ask for a new code in a few minutes."
        ),
        tone="info",
    ),
}


def _cookie(request: Request) -> str:
    return cookie_name(COOKIE, https=request.app.state.settings.https)


def redirect(request: Request, path: str, notice: Notice) -> Response:
    """303 to a page of this site (from `path_for`) that will show `notice` once. An htmx
    request is told to load that page itself (`HX-Redirect`): a redirect it followed would
    put the whole page where the fragment was."""
    response: Response
    if request.headers.get("hx-request") == "true":
        response = Response(status_code=200, headers={"hx-redirect": path})
    else:
        response = RedirectResponse(path, status_code=303)
    add(request, response, notice)
    return response


def add(request: Request, response: Response, notice: Notice) -> None:
    """The next page rendered shows `notice` once."""
    settings = request.app.state.settings
    response.set_cookie(
        _cookie(request),
        signer(settings.secret_key, PURPOSE).dumps(notice.value),
        max_age=MAX_AGE,
        httponly=True,
        secure=settings.https,
        samesite="lax",
    )


def pending(request: Request) -> Text | None:
    """The notice waiting for this page, if its cookie is genuine."""
    value = signed_value(
        request.app.state.settings.secret_key,
        PURPOSE,
        request.cookies.get(_cookie(request)),
        max_age=MAX_AGE,
    )
    try:
        return TEXTS[Notice(value)]
    except ValueError:
        return None


def clear(request: Request, response: Response) -> None:
    """Once shown (or found unreadable), the cookie goes."""
    if _cookie(request) in request.cookies:
        settings = request.app.state.settings
        response.delete_cookie(
            _cookie(request), httponly=True, secure=settings.https, samesite="lax"
        )
