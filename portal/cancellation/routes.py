"""Cancelling (the steps: reason, retention offer, confirmation), undoing it, and pausing.

Each step is a page of its own, reached with plain forms; htmx swaps the step in place
(`cancellation/_step.html`). Only confirming, accepting the offer, undoing, pausing and
resuming change anything, each with a POST."""

from __future__ import annotations

from enum import StrEnum

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal import flows, i18n, notices
from portal.auth.guard import customer_page
from portal.auth.sessions import SignedIn
from portal.cancellation import errors, pause, service
from portal.errors import PortalError
from portal.notices import Notice
from portal.templating import path_for, render
from portal.web.forms import integer, text

CANCEL_FLOW = ("subscription_cancel",)  # the deep-link flow these steps end


class Step(StrEnum):
    REASON = "reason"
    OFFER = "offer"
    CONFIRM = "confirm"


def _step(asked: str | None, cancellation: service.Cancellation) -> Step:
    """The step asked for, past the ones that have nothing to show."""
    step = Step(asked) if asked in tuple(Step) else Step.REASON
    if step == Step.REASON and not cancellation.reasons:
        step = Step.OFFER
    if step == Step.OFFER and cancellation.offer is None:
        step = Step.CONFIRM
    return step


def _ids(request: Request, session: SignedIn) -> tuple[str, str]:
    return session.customer_id, request.path_params["subscription_id"]


def _cancel_page(
    request: Request,
    session: SignedIn,
    cancellation: service.Cancellation,
    step: Step,
    answers: service.Request,
    error: PortalError | None = None,
) -> Response:
    return render(
        request,
        "cancellation/cancel.html",
        {"cancellation": cancellation, "step": step, "answers": answers, "error": error},
        session=session,
        partial="cancellation/_step.html",
        status_code=error.status_code if error else 200,
    )


@customer_page
async def cancel_page(request: Request, session: SignedIn) -> Response:
    db, query = request.app.state.db, request.query_params
    cancellation = await service.load(db, session.configuration, *_ids(request, session))
    answers = service.Request(
        cancellation.version,
        cancellation.at,
        text(query, "reason"),
        text(query, "comment"),
        offer_declined=query.get("declined") == "1",
    )
    step = _step(query.get("step"), cancellation)
    if step != Step.REASON:
        try:
            service.cancellation_details(cancellation, answers)
        except PortalError as error:
            return _cancel_page(request, session, cancellation, Step.REASON, answers, error)
    return _cancel_page(request, session, cancellation, step, answers)


@customer_page
async def confirm_cancel(request: Request, session: SignedIn) -> Response:
    db, form = request.app.state.db, await request.form()
    answers = service.Request(
        integer(form, "version"),
        integer(form, "at", default=0),
        text(form, "reason"),
        text(form, "comment"),
        offer_declined=form.get("declined") == "1",
    )
    try:
        cancellation = await service.cancel(
            db,
            session.configuration,
            *_ids(request, session),
            answers,
            locale=i18n.get_locale(),
            test_mode=request.app.state.settings.test_mode,
        )
    except (errors.ReasonNotOffered, errors.CommentTooLong) as error:
        current = await service.load(db, session.configuration, *_ids(request, session))
        return _cancel_page(request, session, current, Step.REASON, answers, error)
    notice = Notice.CANCELED if cancellation.when == service.When.NOW else Notice.CANCEL_SCHEDULED
    return flows.finish(request, session, CANCEL_FLOW, notice, path_for(request, "account:home"))


@customer_page
async def accept_offer(request: Request, session: SignedIn) -> Response:
    form = await request.form()
    await service.accept_offer(
        request.app.state.db,
        session.configuration,
        *_ids(request, session),
        integer(form, "version"),
    )
    home = path_for(request, "account:home")
    return flows.finish(request, session, CANCEL_FLOW, Notice.OFFER_ACCEPTED, home)


@customer_page
async def keep_subscription(request: Request, session: SignedIn) -> Response:
    form = await request.form()
    await service.undo(
        request.app.state.db,
        session.configuration,
        *_ids(request, session),
        integer(form, "version"),
        locale=i18n.get_locale(),
        test_mode=request.app.state.settings.test_mode,
    )
    return notices.redirect(request, path_for(request, "account:home"), Notice.CANCEL_UNDONE)


def _pause_page(
    request: Request,
    session: SignedIn,
    offer: pause.PauseOffer,
    days: int,
    error: PortalError | None = None,
) -> Response:
    return render(
        request,
        "cancellation/pause.html",
        {"offer": offer, "days": days, "error": error},
        session=session,
        status_code=error.status_code if error else 200,
    )


@customer_page
async def pause_page(request: Request, session: SignedIn) -> Response:
    offer = await pause.offer(request.app.state.db, session.configuration, *_ids(request, session))
    return _pause_page(request, session, offer, integer(request.query_params, "days", 0))


@customer_page
async def confirm_pause(request: Request, session: SignedIn) -> Response:
    db, form = request.app.state.db, await request.form()
    days = integer(form, "days", 0)
    try:
        await pause.pause(
            db,
            session.configuration,
            *_ids(request, session),
            integer(form, "version"),
            days,
            locale=i18n.get_locale(),
            test_mode=request.app.state.settings.test_mode,
        )
    except errors.PauseLength as error:
        offer = await pause.offer(db, session.configuration, *_ids(request, session))
        return _pause_page(request, session, offer, days, error)
    return notices.redirect(request, path_for(request, "account:home"), Notice.PAUSED)


@customer_page
async def resume(request: Request, session: SignedIn) -> Response:
    form = await request.form()
    await pause.resume(request.app.state.db, *_ids(request, session), integer(form, "version"))
    return notices.redirect(request, path_for(request, "account:home"), Notice.RESUMED)


# Under the subscriptions Mount (/p/subscriptions/{subscription_id}, see app.py).
routes = [
    Route("/cancel", cancel_page, methods=["GET"], name="cancel"),
    Route("/cancel", confirm_cancel, methods=["POST"], name="confirm_cancel"),
    Route("/cancel/offer", accept_offer, methods=["POST"], name="accept_offer"),
    Route("/cancel/undo", keep_subscription, methods=["POST"], name="keep"),
    Route("/pause", pause_page, methods=["GET"], name="pause"),
    Route("/pause", confirm_pause, methods=["POST"], name="confirm_pause"),
    Route("/resume", resume, methods=["POST"], name="resume"),
]
