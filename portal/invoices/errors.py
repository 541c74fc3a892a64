"""What can go wrong with the invoice pages."""

from __future__ import annotations

from portal.core.text import N_
from portal.errors import PortalError


class InvoicesNotOffered(PortalError):
    status_code = 403
    title = N_("Invoices are not shown here")
    message = N_("Contact %(business)s for a copy of your invoices.")
