"""Deep-link flows on the customer's side: a session the merchant opened on one task lands in
it, and once the task is done the customer sees the merchant's confirmation, is sent back to
the merchant, or goes on to the portal's home page (as `after_completion` says).

The flow is checked and stored when the session is created (api/flows.py); nothing here
trusts the browser for it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal import notices
from portal.auth.sessions import SignedIn
from portal.notices import Notice
from portal.templating import path_for, render


def landing(request: Request, flow: dict[str, Any] | None) -> str:
    """Where a session opens: its flow's page, else the home page."""
    if flow is None:
        return path_for(request, "account:home")
    kind = flow["type"]
    if kind == "payment_method_update":
        return path_for(request, "payment_methods:list")
    if kind == "subscription_cancel":
        return path_for(request, "subscriptions:cancel", subscription_id=flow["subscription"])
    page = path_for(request, "subscriptions:update", subscription_id=flow["subscription"])
    if kind == "subscription_update_confirm":
        query = {"price": flow["price"], "quantity": flow["quantity"]}
        if flow.get("promotion_code"):
            query["promotion_code"] = flow["promotion_code"]
        return f"{page}?{urlencode(query)}"
    return page  # subscription_update


def finish(
    request: Request, session: SignedIn, kinds: tuple[str, ...], notice: Notice, path: str
) -> Response:
    """The end of a task: as the session's flow says when the task is one of `kinds`, else
    `path` with its notice, as always."""
    flow = session.flow
    if flow is None or flow["type"] not in kinds:
        return notices.redirect(request, path, notice)
    after = flow["after_completion"]
    if after["type"] == "redirect":
        url = after["redirect"]["return_url"]
        if request.headers.get("hx-request") == "true":
            return Response(headers={"hx-redirect": url})
        return RedirectResponse(url, status_code=303)
    if after["type"] == "hosted_confirmation":
        return notices.redirect(request, path_for(request, "account:done"), notice)
    return notices.redirect(request, path_for(request, "account:home"), notice)


def done_page(request: Request, session: SignedIn) -> Response:
    """The merchant's confirmation, after a flow that ends with one (the notice says what
    was done; the merchant's message, if any, follows)."""
    after = (session.flow or {}).get("after_completion") or {}
    message = (after.get("hosted_confirmation") or {}).get("custom_message")
    return render(request, "account/done.html", {"message": message}, session=session)
