"""Changing a plan: the picker, the exact preview (a partial for htmx) and the change."""

from __future__ import annotations

from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal import flows, notices
from portal.auth.guard import customer_page
from portal.auth.sessions import SignedIn
from portal.errors import PortalError
from portal.notices import Notice
from portal.payments.errors import PaymentDeclined
from portal.payments.processor import processor_for
from portal.subscriptions import service
from portal.subscriptions.errors import SubscriptionChanged
from portal.subscriptions.plan import Mode
from portal.templating import path_for, render
from portal.web.forms import integer


def _quantity(values: QueryParams | FormData, offer: service.Offer, price_id: str) -> int:
    """The quantity asked for the chosen plan: from its product's own field (one per product
    whose quantity can change), else `quantity`, else the current one."""
    product_id = next(
        (o.product_id for o in offer.options if any(p["id"] == price_id for p in o.prices)), ""
    )
    raw = str(values.get(f"quantity_{product_id}") or values.get("quantity") or "").strip()
    if not raw:
        return offer.current.quantity
    # Refused with the quantity's own message; a huge number is never parsed.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else -1


def _change(values: QueryParams | FormData, offer: service.Offer) -> service.Request | None:
    """The change a form asks for; None when it names no plan yet."""
    price_id = str(values.get("price") or "")
    if not price_id:
        return None
    at = integer(values, "at")
    return service.Request(
        price_id,
        _quantity(values, offer, price_id),
        str(values.get("promotion_code") or "")[:64],
        at if at >= 0 else None,
    )


async def _offer(request: Request, session: SignedIn) -> service.Offer:
    return await service.offer(
        request.app.state.db,
        session.configuration,
        session.customer_id,
        request.path_params["subscription_id"],
    )


def _picker(request: Request, offer: service.Offer) -> dict[str, object]:
    """The billing periods on offer, and the one shown (asked for, else the current one)."""
    intervals = sorted(
        {p["interval"] for o in offer.options for p in o.prices},
        key=("day", "week", "month", "year").index,
    )
    asked = request.query_params.get("interval")
    current = offer.current.interval
    shown = asked if asked in intervals else current if current in intervals else intervals[0]
    return {
        "intervals": intervals,
        "interval": shown,
        "offer": offer,
        "version": offer.subscription["version"],
    }


UPDATE_FLOWS = ("subscription_update", "subscription_update_confirm")  # what confirming ends


@customer_page
async def update_page(request: Request, session: SignedIn) -> Response:
    offer = await _offer(request, session)
    change = _change(request.query_params, offer)
    context = {**_picker(request, offer), "change": change, "plan": None, "error": None}
    status = 200
    if change is not None:
        try:
            context["plan"] = await service.preview(request.app.state.db, offer, change)
        except PortalError as error:
            context["error"], status = error, error.status_code
    return render(
        request,
        "subscriptions/update.html",
        context,
        session=session,
        partial="subscriptions/_preview.html",
        status_code=status,
    )


@customer_page
async def confirm_update(request: Request, session: SignedIn) -> Response:
    offer = await _offer(request, session)
    form = await request.form()
    change = _change(form, offer)
    if change is None:
        return RedirectResponse(request.url.path, status_code=303)
    db = request.app.state.db
    try:
        processor = processor_for(request.app.state.settings, db)
        plan = await service.apply(db, processor, offer, change, integer(form, "version"))
    except (SubscriptionChanged, PaymentDeclined) as error:
        # Two tabs, a double submit, or a declined card: the plan as it is now, and why.
        fresh = await _offer(request, session)
        return render(
            request,
            "subscriptions/update.html",
            {**_picker(request, fresh), "change": None, "plan": None, "error": error},
            session=session,
            status_code=error.status_code,
        )
    home = path_for(request, "account:home")
    if plan.change is None:
        return RedirectResponse(home, status_code=303)  # the same plan: nothing to confirm
    if plan.mode == Mode.SCHEDULED:
        notice = Notice.CHANGE_SCHEDULED
    else:
        notice = Notice.PLAN_CHANGED_AND_PAID if plan.due_now else Notice.PLAN_CHANGED
    return flows.finish(request, session, UPDATE_FLOWS, notice, home)


@customer_page
async def drop_scheduled_change(request: Request, session: SignedIn) -> Response:
    form = await request.form()
    await service.keep_current_plan(
        request.app.state.db,
        session.customer_id,
        request.path_params["subscription_id"],
        integer(form, "version"),
    )
    return notices.redirect(request, path_for(request, "account:home"), Notice.CURRENT_PLAN_KEPT)


# Under the subscriptions Mount (/p/subscriptions/{subscription_id}, see app.py).
routes = [
    Route("/update", update_page, methods=["GET"], name="update"),
    Route("/update", confirm_update, methods=["POST"], name="confirm"),
    Route("/scheduled-change", drop_scheduled_change, methods=["POST"], name="drop_scheduled"),
]
