"""The billing-details page: saving the details, the address fields of a country, and adding
and removing tax IDs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from portal import i18n, notices
from portal.auth.guard import customer_page
from portal.auth.sessions import SignedIn
from portal.billing_details import addresses, service
from portal.billing_details.errors import InvalidDetails, StaleDetails
from portal.errors import PortalError
from portal.notices import Notice
from portal.templating import path_for, render
from portal.web.forms import text


def _page(
    request: Request,
    session: SignedIn,
    details: service.Details,
    values: dict[str, str] | None = None,
    error: PortalError | None = None,
) -> Response:
    values = {**details.values, **(values or {})}  # what was typed, over what is stored
    locale = i18n.get_locale()
    forms = {
        prefix: addresses.AddressForm.of(prefix, values.get(f"{prefix}_country"), locale)
        for prefix in ("address", "shipping")
    }
    return render(
        request,
        "billing_details/edit.html",
        {
            "details": details,
            "values": values,
            "forms": forms,
            "error": error,
            "problems": getattr(error, "problems", {}),
        },
        session=session,
        partial="billing_details/_form.html",
        status_code=error.status_code if error else 200,
    )


async def _details(request: Request, session: SignedIn) -> service.Details:
    return await service.load(
        request.app.state.db, session.configuration, session.customer_id, session.by_email
    )


@customer_page
async def edit_page(request: Request, session: SignedIn) -> Response:
    return _page(request, session, await _details(request, session))


@customer_page
async def save(request: Request, session: SignedIn) -> Response:
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    if form.get("refresh"):  # without JavaScript: the address fields of the country chosen
        return _page(request, session, await _details(request, session), form)
    try:
        changed = await service.save(
            request.app.state.db, session.configuration, session.customer_id, session.by_email, form
        )
    except InvalidDetails as error:
        return _page(request, session, await _details(request, session), form, error)
    except StaleDetails as error:
        return _page(request, session, await _details(request, session), None, error)
    notice = Notice.DETAILS_SAVED if changed else Notice.DETAILS_UNCHANGED
    return notices.redirect(request, path_for(request, "account:home"), notice)


@customer_page
async def address_fields(request: Request, session: SignedIn) -> Response:
    """The fields of an address for the country chosen, with what was typed (htmx)."""
    query = request.query_params
    prefix = "shipping" if query.get("prefix") == "shipping" else "address"
    values = {key: value for key, value in query.items()}
    return render(
        request,
        "billing_details/_address.html",
        {
            "form": addresses.AddressForm.of(
                prefix, text(query, f"{prefix}_country"), i18n.get_locale()
            ),
            "values": values,
            "problems": {},
        },
        session=session,
    )


@customer_page
async def add_tax_id(request: Request, session: SignedIn) -> Response:
    form = await request.form()
    try:
        await service.add_tax_id(
            request.app.state.db,
            session.configuration,
            session.customer_id,
            text(form, "tax_id_type"),
            text(form, "tax_id_value"),
        )
    except InvalidDetails as error:
        values = {name: text(form, name) for name in ("tax_id_type", "tax_id_value")}
        return _page(request, session, await _details(request, session), values, error)
    return notices.redirect(request, path_for(request, "billing_details:edit"), Notice.TAX_ID_ADDED)


@customer_page
async def remove_tax_id(request: Request, session: SignedIn) -> Response:
    await service.remove_tax_id(
        request.app.state.db,
        session.configuration,
        session.customer_id,
        request.path_params["tax_id"],
    )
    return notices.redirect(
        request, path_for(request, "billing_details:edit"), Notice.TAX_ID_REMOVED
    )


routes = [
    Mount(
        "/billing-details",
        name="billing_details",
        routes=[
            Route("/", edit_page, methods=["GET"], name="edit"),
            Route("/", save, methods=["POST"], name="save"),
            Route("/address", address_fields, methods=["GET"], name="address_fields"),
            Route("/tax-ids", add_tax_id, methods=["POST"], name="add_tax_id"),
            Route(
                "/tax-ids/{tax_id}/remove", remove_tax_id, methods=["POST"], name="remove_tax_id"
            ),
        ],
    ),
]
