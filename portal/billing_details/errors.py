"""What can go wrong with billing details, each with its own message."""

from __future__ import annotations

from portal.core.text import N_
from portal.errors import NotFound, PortalError


class Problem(PortalError):
    """What is wrong with one field: its message is shown next to it."""


class InvalidDetails(PortalError):
    """Some fields are wrong (`problems`: field name → Problem); nothing was saved."""

    title = N_("Some details need correcting")
    message = N_("Nothing was saved. Correct the fields marked below, then save again.")

    def __init__(self, problems: dict[str, Problem]) -> None:
        super().__init__()
        self.problems = problems


class DetailsNotEditable(PortalError):
    status_code = 403
    title = N_("Billing details cannot be changed here")
    message = N_("Contact %(business)s to change your billing details.")


class EmailFixed(PortalError):
    status_code = 403
    title = N_("Your email address cannot be changed here")
    message = N_("You signed in with this address. To use another one, contact %(business)s.")


class TaxIdNotFound(NotFound):
    pass


class StaleDetails(PortalError):
    status_code = 409
    title = N_("Your billing details changed in the meantime")
    message = N_("They were changed in another window. Check them below and save again.")
