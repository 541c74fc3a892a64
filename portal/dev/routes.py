"""Development-only pages (mounted when DEBUG is on): the demo mailbox and customer previews."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal import mail
from portal.account import service as account
from portal.merchant import queries as configurations
from portal.tables import customers
from portal.templating import render


async def index(request: Request) -> Response:
    db = request.app.state.db
    request.state.configuration = await configurations.default(db)
    rows = await db.fetch_all(
        select(customers.c.id, customers.c.email, customers.c.name)
        .order_by(customers.c.created.desc()).limit(100))
    return render(request, "dev/index.html", {"customers": rows})


async def customer_overview(request: Request) -> Response:
    db = request.app.state.db
    request.state.configuration = await configurations.default(db)
    overview = await account.overview(db, request.path_params["customer_id"],
                                      request.state.configuration)
    return render(request, "account/overview.html",
                  {"overview": overview, "debug_preview": True})


async def mailbox(request: Request) -> Response:
    db = request.app.state.db
    request.state.configuration = await configurations.default(db)
    return render(request, "dev/mailbox.html", {
        "messages": await mail.mailbox(db),
        "smtp_configured": bool(request.app.state.settings.smtp_url),
    })


routes = [
    Route("/dev/", index, methods=["GET"], name="dev:index"),
    Route("/dev/customers/{customer_id}", customer_overview, methods=["GET"],
          name="dev:overview"),
    Route("/dev/mailbox", mailbox, methods=["GET"], name="dev:mailbox"),
]
