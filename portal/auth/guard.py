"""The signed-in customer of a request: every customer page starts here.

`customer_page` wraps a route: it gets the live session (typed, `SignedIn`) as an argument,
and its errors are shown in that customer's frame (branding, the way back, sign-out). Without
a live session the visitor gets the sign-in page (401) before the route runs."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from portal import i18n
from portal.auth import sessions
from portal.auth.sessions import SignedIn
from portal.errors import PortalError
from portal.security import cookie_name
from portal.web.errors import error_response

CustomerRoute = Callable[[Request, SignedIn], Awaitable[Response]]


async def require_session(request: Request) -> SignedIn:
    """The live session of this request; SignInRequired or SessionEnded (401) otherwise."""
    settings = request.app.state.settings
    token = request.cookies.get(cookie_name(sessions.COOKIE, https=settings.https))
    session = await sessions.signed_in(request.app.state.db, settings, token)
    # The customer's own language comes after ?locale= and the switcher's choice.
    i18n.set_locale(i18n.request_locale(request, session.preferred_locale))
    return session


def customer_page(route: CustomerRoute) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(route)
    async def endpoint(request: Request) -> Response:
        session = await require_session(request)
        try:
            return await route(request, session)
        except PortalError as error:
            return error_response(request, error, session=session)

    return endpoint
