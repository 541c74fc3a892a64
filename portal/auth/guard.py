"""The signed-in customer of a request: every customer page starts here."""

from __future__ import annotations

from starlette.requests import Request

from portal import i18n
from portal.auth import queries, service
from portal.auth.routes import SESSION_COOKIE
from portal.db import Row
from portal.errors import SessionEnded, SignInRequired
from portal.security import cookie_name


async def require_session(request: Request) -> Row:
    """The live session, with its configuration on `request.state`; else SessionEnded (401),
    or SignInRequired (401) for a visitor without any session cookie.

    Pages take the customer from here and nowhere else: no form field chooses it."""
    settings = request.app.state.settings
    db = request.app.state.db
    token = request.cookies.get(cookie_name(SESSION_COOKIE, https=settings.https))
    session = await service.current_session(db, settings, token)
    if session is None:
        raise SessionEnded() if token else SignInRequired()
    # The customer's own language comes after ?locale= and the switcher's choice.
    i18n.set_locale(i18n.request_locale(request, session["preferred_locale"]))
    request.state.configuration = queries.configuration_of(session)
    request.state.session = session
    request.state.return_url = session["return_url"]
    return session
