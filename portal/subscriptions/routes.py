"""Changing a plan: the picker, the exact preview (a partial for htmx) and the change."""

from __future__ import annotations

from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal import notices
from portal.auth.guard import require_session
from portal.errors import PortalError
from portal.notices import Notice
from portal.payments.processor import processor_for
from portal.subscriptions import queries, service
from portal.subscriptions.errors import SubscriptionChanged, SubscriptionNotFound
from portal.templating import path_for, render


def _change(values: QueryParams | FormData, offer: service.Offer) -> service.Request | None:
    """The change a form asks for; None when it names no plan yet."""
    price_id = str(values.get("price") or "")
    if not price_id:
        return None
    try:
        quantity = int(str(values.get("quantity") or offer.context.item["quantity"]))
    except ValueError:
        quantity = -1  # refused with the quantity's own message
    at = str(values.get("at") or "")
    return service.Request(price_id, quantity, str(values.get("promotion_code") or "")[:64],
                           int(at) if at.isdigit() else None)


async def _offer(request: Request) -> service.Offer:
    session = await require_session(request)
    return await service.offer(request.app.state.db, request.state.configuration,
                               session["customer_id"], request.path_params["subscription_id"])


def _picker(request: Request, offer: service.Offer) -> dict[str, object]:
    """The billing periods on offer, and the one shown (asked for, else the current one)."""
    intervals = sorted({p["interval"] for o in offer.options for p in o.prices},
                       key=("day", "week", "month", "year").index)
    asked = request.query_params.get("interval")
    current = offer.context.item["interval"]
    shown = asked if asked in intervals else current if current in intervals else intervals[0]
    return {"intervals": intervals, "interval": shown, "offer": offer,
            "version": offer.context.subscription["version"]}


async def update_page(request: Request) -> Response:
    offer = await _offer(request)
    change = _change(request.query_params, offer)
    context = {**_picker(request, offer), "change": change, "plan": None, "error": None}
    status = 200
    if change is not None:
        try:
            context["plan"], _ = await service.preview(request.app.state.db, offer, change)
        except PortalError as error:
            context["error"], status = error, error.status_code
    return render(request, "subscriptions/update.html", context,
                  partial="subscriptions/_preview.html", status_code=status)


async def confirm_update(request: Request) -> Response:
    offer = await _offer(request)
    form = await request.form()
    change = _change(form, offer)
    if change is None:
        return RedirectResponse(request.url.path, status_code=303)
    db = request.app.state.db
    try:
        version = int(str(form.get("version", "")))
        applied = await service.apply(db, processor_for(request.app.state.settings, db),
                                      offer, change, version)
    except (SubscriptionChanged, ValueError):
        # Two tabs, or a double submit: show the plan as it is now.
        fresh = await service.offer(db, request.state.configuration,
                                    offer.context.subscription["customer_id"],
                                    offer.context.subscription["id"])
        return render(request, "subscriptions/update.html", {
            **_picker(request, fresh), "change": None, "plan": None,
            "error": SubscriptionChanged()}, status_code=409)
    if applied.payment_failed:
        notice = Notice.PAYMENT_FAILED
    elif applied.plan.mode == "scheduled":
        notice = Notice.CHANGE_SCHEDULED
    elif applied.plan.due_now:
        notice = Notice.PLAN_CHANGED_AND_PAID
    else:
        notice = Notice.PLAN_CHANGED
    return notices.redirect(request, path_for(request, "account:home"), notice)


async def drop_scheduled_change(request: Request) -> Response:
    session = await require_session(request)
    form = await request.form()
    db = request.app.state.db
    subscription = await queries.subscription(db, session["customer_id"],
                                              request.path_params["subscription_id"])
    if subscription is None:
        raise SubscriptionNotFound()
    try:
        version = int(str(form.get("version", "")))
    except ValueError:
        version = -1
    if not await queries.bump_version(db, subscription["id"], version, {"pending_update": None}):
        raise SubscriptionChanged()
    return notices.redirect(request, path_for(request, "account:home"),
                            Notice.CURRENT_PLAN_KEPT)


routes = [
    Route("/p/subscriptions/{subscription_id}/update", update_page, methods=["GET"],
          name="subscriptions:update"),
    Route("/p/subscriptions/{subscription_id}/update", confirm_update, methods=["POST"],
          name="subscriptions:confirm"),
    Route("/p/subscriptions/{subscription_id}/scheduled-change", drop_scheduled_change,
          methods=["POST"], name="subscriptions:drop_scheduled"),
]
