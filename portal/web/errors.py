"""The one place errors become answers: a page, an htmx alert, or JSON under /v1.

Routes for the signed-in customer render their errors in the customer's frame (see
`auth/guard.py`); everything else reaches `handle_error`, which brands the answer with the
configuration the error names, else the default one."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from portal import i18n
from portal.auth.sessions import SignedIn
from portal.errors import MethodNotAllowed, NotFound, PortalError, RequestTooLarge, ServerError
from portal.merchant import queries as configurations
from portal.merchant.configuration import Configuration
from portal.security import security_headers
from portal.templating import render

log = logging.getLogger("portal")

_BY_STATUS: dict[int, type[PortalError]] = {
    404: NotFound,
    405: MethodNotAllowed,
    413: RequestTooLarge,
}
API_PREFIX = "/v1/"


def as_portal_error(exc: Exception) -> PortalError:
    if isinstance(exc, PortalError):
        return exc
    if isinstance(exc, HTTPException):
        return _BY_STATUS.get(exc.status_code, PortalError)(status_code=exc.status_code)
    return ServerError()


async def handle_error(request: Request, exc: Exception) -> Response:
    error = as_portal_error(exc)
    if error.status_code >= 500:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    configuration = None
    if not request.url.path.startswith(API_PREFIX):
        try:
            db = request.app.state.db
            configuration = await (
                configurations.by_id(db, error.configuration_id)
                if error.configuration_id
                else configurations.default(db)
            )
        except Exception:  # the database is what failed: the page shows without branding
            configuration = None
    return error_response(request, error, configuration=configuration)


def error_response(
    request: Request,
    error: PortalError,
    *,
    session: SignedIn | None = None,
    configuration: Configuration | None = None,
) -> Response:
    # Every refusal carries the security headers, also those that leave before or past the
    # request guard (server errors go out through Starlette's outermost middleware).
    headers = security_headers(request.scope, https=request.app.state.settings.https)
    title, message = i18n.error_text(error)
    if request.url.path.startswith(API_PREFIX):
        return JSONResponse(
            {"error": {"type": _api_type(error), "code": error.code, "message": message}},
            status_code=error.status_code,
            headers=headers,
        )
    htmx = request.headers.get("hx-request") == "true"
    if htmx:
        # An alert in the page's live region rather than a swap of the target.
        headers.update({"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"})
    return render(
        request,
        "errors/_alert.html" if htmx else "errors/error.html",
        {"error": error, "title": title, "message": message},
        session=session,
        configuration=configuration,
        return_url=error.return_url,
        status_code=error.status_code,
        headers=headers,
    )


def _api_type(error: PortalError) -> str:
    """Stripe's error types, by status."""
    if error.status_code >= 500:
        return "api_error"
    if error.status_code == 402:
        return "card_error"
    return "invalid_request_error"
