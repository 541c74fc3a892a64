"""The payment-methods page, and choosing or removing one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from portal import notices
from portal.auth.guard import customer_page
from portal.auth.sessions import SignedIn
from portal.notices import Notice
from portal.payment_methods import service
from portal.templating import path_for, render


@customer_page
async def list_page(request: Request, session: SignedIn) -> Response:
    wallet = await service.wallet(request.app.state.db, session.configuration, session.customer_id)
    return render(request, "payment_methods/list.html", {"wallet": wallet}, session=session)


@customer_page
async def make_default(request: Request, session: SignedIn) -> Response:
    await service.make_default(
        request.app.state.db,
        session.configuration,
        session.customer_id,
        request.path_params["payment_method_id"],
    )
    return notices.redirect(
        request, path_for(request, "payment_methods:list"), Notice.DEFAULT_METHOD
    )


@customer_page
async def remove(request: Request, session: SignedIn) -> Response:
    await service.remove(
        request.app.state.db,
        session.configuration,
        session.customer_id,
        request.path_params["payment_method_id"],
    )
    return notices.redirect(
        request, path_for(request, "payment_methods:list"), Notice.METHOD_REMOVED
    )


routes = [
    Mount(
        "/payment-methods",
        name="payment_methods",
        routes=[
            Route("/", list_page, methods=["GET"], name="list"),
            Route(
                "/{payment_method_id}/default", make_default, methods=["POST"], name="make_default"
            ),
            Route("/{payment_method_id}/remove", remove, methods=["POST"], name="remove"),
        ],
    ),
]
