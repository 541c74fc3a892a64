"""Development-only pages (mounted when DEBUG is on): the demo mailbox and customer previews.

They show the default configuration's portal without signing in, and say so on every page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal import mail
from portal.account import service as account
from portal.dev import queries
from portal.errors import NotFound
from portal.merchant import queries as configurations
from portal.templating import render


async def index(request: Request) -> Response:
    db = request.app.state.db
    return render(
        request,
        "dev/index.html",
        {"customers": await queries.newest_customers_of_all(db)},
        configuration=await configurations.default(db),
    )


async def customer_overview(request: Request) -> Response:
    db = request.app.state.db
    configuration = await configurations.default(db)
    if configuration is None:
        raise NotFound()
    overview = await account.overview(db, request.path_params["customer_id"], configuration)
    return render(
        request,
        "account/overview.html",
        {"overview": overview, "debug_preview": True},
        configuration=configuration,
    )


async def mailbox(request: Request) -> Response:
    db = request.app.state.db
    return render(
        request,
        "dev/mailbox.html",
        {
            "messages": await mail.mailbox(db),
            "smtp_configured": bool(request.app.state.settings.smtp_url),
        },
        configuration=await configurations.default(db),
    )


routes = [
    Route("/", index, methods=["GET"], name="index"),
    Route("/customers/{customer_id}", customer_overview, methods=["GET"], name="overview"),
    Route("/mailbox", mailbox, methods=["GET"], name="mailbox"),
]
