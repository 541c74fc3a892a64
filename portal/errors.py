"""The errors a customer (or an API client) is told about, as typed classes.

They know nothing of pages: a title and a message as untranslated msgids, parameters as raw
values (`Money` for amounts), and where known the configuration whose branding and login link
the answer shows. `portal/web/errors.py` words and renders them: a page, an htmx alert, or
JSON under /v1.
"""

from __future__ import annotations

from typing import Any

from portal.core.text import N_


class PortalError(Exception):
    """An error the customer sees. `message` is an untranslated msgid; `params` fill it."""

    status_code = 400
    offer_sign_in = False
    """Show the login link and the way back to the business (session and link errors)."""
    sign_in_label = N_("Sign in again")
    title = N_("Something is not right")
    message = N_("Please check what you entered and try again.")

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        configuration_id: str | None = None,
        return_url: str | None = None,
        **params: Any,
    ) -> None:
        if message is not None:
            self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.configuration_id = configuration_id
        """The configuration the answer is branded with (else the default one)."""
        self.return_url = return_url
        self.params = params
        super().__init__(self.message)

    @property
    def code(self) -> str:
        """A stable name for API clients: `SessionEnded` → `session_ended`."""
        name = type(self).__name__
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


class NotFound(PortalError):
    status_code = 404
    title = N_("Page not found")
    message = N_(
        "There is nothing at this address. Check the link, or start again from the "
        "page that sent you here."
    )


class LoginLinkNotFound(NotFound):
    title = N_("This login link does not work")
    message = N_(
        "The link is wrong or no longer active. Ask the business that sent it for a new one."
    )


class InvalidEmail(PortalError):
    title = N_("Check your email address")
    message = N_("Enter a valid email address, such as name@example.com.")


class InvalidCodeFormat(PortalError):
    title = N_("Check the code")
    message = N_("Enter the code from the email (6 or 10 digits).")


class CodeNotAccepted(PortalError):
    title = N_("That code did not work")
    message = N_(
        "The code is not correct, or it is no longer valid. Check the most recent "
        "email, or ask for a new code."
    )


class SignInLinkNotAccepted(PortalError):
    offer_sign_in = True
    title = N_("This sign-in link does not work")
    message = N_("The link has expired or has already been used. Ask for a new code to sign in.")


class ResendTooSoon(PortalError):
    status_code = 429
    title = N_("Please wait a moment")
    message = N_(
        "A new code can be sent once a minute. Check your inbox and spam folder in the meantime."
    )


class CodesAlreadySent(PortalError):
    """The per-email cap on codes: shown on the code page, whoever's browser asked."""

    status_code = 429
    title = N_("Codes were already sent")
    message = N_(
        "Several codes were sent to this address in the last few minutes, so no new "
        "one was sent. Open the sign-in link in the most recent email: it works on "
        "any device. Or ask for a new code in a few minutes."
    )


class ShortCodeRetired(PortalError):
    title = N_("Ask for a new code")
    message = N_(
        "There were many wrong tries for this address, so 6-digit codes no longer "
        "work for it. Send a new code: new codes have 10 digits."
    )


class TooManyAttempts(PortalError):
    status_code = 429
    title = N_("Too many attempts")
    message = N_("For your security, signing in is paused for a while. Please try again later.")


class SessionEnded(PortalError):
    offer_sign_in = True
    status_code = 401
    title = N_("Your session has ended")
    message = N_(
        "For your security, billing sessions end after a period of inactivity. "
        "Sign in again to continue."
    )


class SignInRequired(PortalError):
    """A customer page asked for without any session cookie: nothing has ended."""

    offer_sign_in = True
    status_code = 401
    sign_in_label = N_("Sign in")
    title = N_("Sign in to continue")
    message = N_(
        "This page is for signed-in customers. Sign in, or open billing again from "
        "the website you came from."
    )


class SessionLinkNotAccepted(PortalError):
    offer_sign_in = True
    status_code = 410
    title = N_("This link has expired")
    message = N_(
        "Links to the billing portal can be used once, within a few minutes. Go back "
        "and open the billing portal again."
    )


class SecureModeRefused(PortalError):
    status_code = 403
    title = N_("Sign in from the website")
    message = N_(
        "For your security, this login page only opens from your account on the "
        "business's website. Go back to it and follow its billing link."
    )


class CsrfFailed(PortalError):
    offer_sign_in = True
    status_code = 403
    title = N_("This form has expired")
    message = N_("Please go back, reload the page and try again.")


class MethodNotAllowed(PortalError):
    status_code = 405
    title = N_("Not allowed")
    message = N_("This page cannot be used that way.")


class RequestTooLarge(PortalError):
    status_code = 413
    title = N_("Too much data")
    message = N_("What you sent is too large. Please send less and try again.")


class ServerError(PortalError):
    status_code = 500
    title = N_("Something went wrong on our side")
    message = N_(
        "Your request could not be completed and nothing was changed. Please try again in a moment."
    )
