"""What can go wrong when cancelling or pausing, each with its own message."""

from __future__ import annotations

from portal.core.text import N_
from portal.errors import PortalError


class CancelNotAllowed(PortalError):
    status_code = 403
    title = N_("This subscription cannot be cancelled here")
    message = N_("Contact %(business)s to cancel it.")


class SubscriptionEnded(CancelNotAllowed):
    title = N_("This subscription has ended")
    message = N_("There is nothing left to cancel.")


class AlreadyEnding(CancelNotAllowed):
    title = N_("This subscription is already set to end")
    message = N_("It ends on %(date)s. You can keep it from the billing page until then.")


class NotEnding(PortalError):
    status_code = 409
    title = N_("This subscription is not set to end")
    message = N_("There is no cancellation to undo.")


class ReasonNotOffered(PortalError):
    title = N_("Choose one of the reasons offered")
    message = N_("Pick a reason from the list, or leave it empty.")


class CommentTooLong(PortalError):
    title = N_("Your comment is too long")
    message = N_("Keep it to %(maximum)s characters.")


class OfferUnavailable(PortalError):
    status_code = 409
    title = N_("This offer is no longer available")
    message = N_("You can still cancel, or keep your subscription as it is.")


class PauseNotAllowed(PortalError):
    status_code = 403
    title = N_("Payments cannot be paused")
    message = N_("Contact %(business)s to pause this subscription.")


class PauseWhilePastDue(PauseNotAllowed):
    message = N_("A payment is overdue. Pay it first, then you can pause your subscription.")


class PauseDuringTrial(PauseNotAllowed):
    message = N_("Your trial is still running: nothing is charged until it ends.")


class PauseWhileEnding(PauseNotAllowed):
    message = N_("This subscription is set to end; there is nothing to pause.")


class AlreadyPaused(PauseNotAllowed):
    status_code = 409
    message = N_("Payments are already paused until %(date)s.")


class PauseLength(PortalError):
    title = N_("Choose how long to pause")
    message = N_("Choose a pause of 1 to %(maximum)s days.")


class NotPaused(PortalError):
    status_code = 409
    title = N_("Payments are not paused")
    message = N_("There is nothing to resume.")
