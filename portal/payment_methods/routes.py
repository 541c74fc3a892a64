"""The payment-methods page, and choosing or removing one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

from portal import flows, notices
from portal.auth.guard import customer_page
from portal.auth.sessions import SignedIn
from portal.notices import Notice
from portal.payment_methods import service
from portal.payments.processor import processor_for
from portal.templating import path_for, render
from portal.web.forms import text


@customer_page
async def list_page(request: Request, session: SignedIn) -> Response:
    wallet = await service.wallet(request.app.state.db, session.configuration, session.customer_id)
    return render(request, "payment_methods/list.html", {"wallet": wallet}, session=session)


@customer_page
async def add(request: Request, session: SignedIn) -> Response:
    settings = request.app.state.settings
    url = await service.start_adding(
        processor_for(settings, request.app.state.db),
        session.configuration,
        session.customer_id,
        settings.base_url + path_for(request, "payment_methods:added"),
    )
    return RedirectResponse(url, status_code=303)


ADDED_NOTICES = {
    service.Added.ADDED: Notice.CARD_ADDED,
    service.Added.ALREADY_SAVED: Notice.CARD_ALREADY_SAVED,
    service.Added.NOT_ADDED: Notice.CARD_NOT_ADDED,
}


@customer_page
async def added(request: Request, session: SignedIn) -> Response:
    """Back from the processor's card entry: save what was entered (once)."""
    db = request.app.state.db
    adding = await service.finish_adding(
        db,
        processor_for(request.app.state.settings, db),
        session.configuration,
        session.customer_id,
        request.query_params.get("setup", ""),
    )
    if adding.invoice_to_pay is not None:
        pay = path_for(request, "invoices:pay", invoice_id=adding.invoice_to_pay)
        return notices.redirect(
            request, f"{pay}?method={adding.method_id}", Notice.CARD_ADDED_PAY_NOW
        )
    wallet = path_for(request, "payment_methods:list")
    if adding.outcome != service.Added.ADDED:
        return notices.redirect(request, wallet, ADDED_NOTICES[adding.outcome])
    return flows.finish(request, session, ("payment_method_update",), Notice.CARD_ADDED, wallet)


@customer_page
async def use_for_subscription(request: Request, session: SignedIn) -> Response:
    form = await request.form()
    await service.use_for_subscription(
        request.app.state.db,
        session.configuration,
        session.customer_id,
        request.path_params["subscription_id"],
        text(form, "payment_method"),
    )
    return notices.redirect(
        request, path_for(request, "payment_methods:list"), Notice.SUBSCRIPTION_METHOD
    )


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
            Route("/add", add, methods=["POST"], name="add"),
            # The processor sends the customer back here (a GET, as every processor does);
            # saving the card it reports is idempotent.
            Route("/added", added, methods=["GET"], name="added"),
            Route(
                "/{payment_method_id}/default", make_default, methods=["POST"], name="make_default"
            ),
            Route("/{payment_method_id}/remove", remove, methods=["POST"], name="remove"),
            Route(
                "/subscriptions/{subscription_id}",
                use_for_subscription,
                methods=["POST"],
                name="for_subscription",
            ),
        ],
    ),
]
