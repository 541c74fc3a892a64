"""The signed-in customer's home page, and the confirmation that ends a task."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal import flows
from portal.account import service
from portal.auth.guard import customer_page
from portal.auth.sessions import SignedIn
from portal.templating import render


@customer_page
async def home(request: Request, session: SignedIn) -> Response:
    overview = await service.overview(
        request.app.state.db, session.customer_id, session.configuration
    )
    return render(
        request,
        "account/overview.html",
        {"overview": overview, "debug_preview": False},
        session=session,
    )


@customer_page
async def done(request: Request, session: SignedIn) -> Response:
    """The merchant's confirmation at the end of a task it opened the portal on."""
    return flows.done_page(request, session)


routes = [
    Route("/", home, methods=["GET"], name="account:home"),
    Route("/done", done, methods=["GET"], name="account:done"),
]
