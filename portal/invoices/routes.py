"""The invoice history, one invoice and its PDF, and paying an open one."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

from portal import i18n, notices
from portal.auth.guard import customer_page
from portal.auth.sessions import SignedIn
from portal.billing.collection import Mailer
from portal.invoices import document as invoice_document
from portal.invoices import service
from portal.notices import Notice
from portal.payments.errors import AuthenticationNeeded, PaymentDeclined
from portal.payments.processor import processor_for
from portal.templating import path_for, render, render_text
from portal.web.forms import text


def _page(
    request: Request, session: SignedIn, payable: service.Payable, error: Exception | None = None
) -> Response:
    return render(
        request,
        "invoices/pay.html",
        {"payable": payable, "error": error},
        session=session,
        status_code=getattr(error, "status_code", 200),
    )


@customer_page
async def pay_page(request: Request, session: SignedIn) -> Response:
    payable = await service.payable(
        request.app.state.db,
        session.configuration,
        session.customer_id,
        request.path_params["invoice_id"],
        request.query_params.get("method"),
    )
    return _page(request, session, payable)


@customer_page
async def confirm_pay(request: Request, session: SignedIn) -> Response:
    db, settings = request.app.state.db, request.app.state.settings
    form = await request.form()
    invoice_id, method_id = request.path_params["invoice_id"], text(form, "payment_method")
    back = settings.base_url + path_for(request, "invoices:paid", invoice_id=invoice_id)
    try:
        await service.pay(
            db,
            processor_for(settings, db),
            session.configuration,
            session.customer_id,
            invoice_id,
            method_id,
            Mailer(settings.base_url, settings.test_mode),
            back,
        )
    except AuthenticationNeeded as needed:
        return RedirectResponse(needed.url, status_code=303)  # the bank's step, then `paid`
    except PaymentDeclined as error:
        payable = await service.payable(
            db, session.configuration, session.customer_id, invoice_id, method_id
        )
        return _page(request, session, payable, error)
    return notices.redirect(request, path_for(request, "account:home"), Notice.INVOICE_PAID)


@customer_page
async def paid(request: Request, session: SignedIn) -> Response:
    """Back from the processor's authentication step: what became of the payment."""
    db, settings = request.app.state.db, request.app.state.settings
    invoice_id = request.path_params["invoice_id"]
    try:
        await service.come_back(
            db,
            processor_for(settings, db),
            session.configuration,
            session.customer_id,
            invoice_id,
            request.query_params.get("payment_intent", ""),  # as Stripe names it
            Mailer(settings.base_url, settings.test_mode),
        )
    except AuthenticationNeeded as needed:
        return RedirectResponse(needed.url, status_code=303)
    except PaymentDeclined as error:
        payable = await service.payable(db, session.configuration, session.customer_id, invoice_id)
        return _page(request, session, payable, error)
    return notices.redirect(request, path_for(request, "account:home"), Notice.INVOICE_PAID)


@customer_page
async def list_page(request: Request, session: SignedIn) -> Response:
    query = request.query_params
    history = await service.history(
        request.app.state.db,
        session.configuration,
        session.customer_id,
        query.get("status"),
        query.get("starting_after"),
    )
    return render(
        request,
        "invoices/list.html",
        {"history": history},
        session=session,
        partial="invoices/_table.html",
    )


async def _detail(request: Request, session: SignedIn) -> service.Detail:
    return await service.detail(
        request.app.state.db,
        session.configuration,
        session.customer_id,
        request.path_params["invoice_id"],
    )


@customer_page
async def detail_page(request: Request, session: SignedIn) -> Response:
    detail = await _detail(request, session)
    return render(request, "invoices/detail.html", {"detail": detail}, session=session)


@customer_page
async def document(request: Request, session: SignedIn) -> Response:
    """The invoice as a PDF in the reader's language: theirs only, kept by no shared cache."""
    detail = await _detail(request, session)
    html = render_text(request, "invoices/document.html", {"detail": detail}, session=session)
    body = await invoice_document.pdf(html, i18n.get_locale())
    filename = re.sub(r"[^A-Za-z0-9._-]", "-", str(detail.invoice["number"])) + ".pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "private, no-store",
        },
    )


routes = [
    Mount(
        "/invoices",
        name="invoices",
        routes=[
            Route("/", list_page, methods=["GET"], name="list"),
            Route("/{invoice_id}/", detail_page, methods=["GET"], name="detail"),
            Route("/{invoice_id}/pdf", document, methods=["GET"], name="document"),
            Route("/{invoice_id}/pay", pay_page, methods=["GET"], name="pay"),
            Route("/{invoice_id}/pay", confirm_pay, methods=["POST"], name="confirm_pay"),
            # The processor sends the customer back here after its authentication step (a
            # GET, as processors do); recording the payment it reports happens once.
            Route("/{invoice_id}/paid", paid, methods=["GET"], name="paid"),
        ],
    ),
]
