"""The signed-in customer's home page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.account import service
from portal.auth.guard import require_session
from portal.templating import render


async def home(request: Request) -> Response:
    session = await require_session(request)
    overview = await service.overview(request.app.state.db, session["customer_id"],
                                      request.state.configuration)
    return render(request, "account/overview.html",
                  {"overview": overview, "debug_preview": False})


routes = [
    Route("/p/", home, methods=["GET"], name="account:home"),
]
