"""Sign-in pages: login link, code, magic link, one-time session URLs, sign-out."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal import flows, i18n, notices
from portal.auth import codes, emails, secure_mode, sessions
from portal.errors import (
    CodeNotAccepted,
    CodesAlreadySent,
    InvalidCodeFormat,
    InvalidEmail,
    LoginLinkNotFound,
    PortalError,
    ResendTooSoon,
    SecureModeRefused,
    ShortCodeRetired,
)
from portal.merchant import queries as configurations
from portal.merchant.configuration import Configuration
from portal.notices import Notice
from portal.security import cookie_name, new_token, signed_value, signer
from portal.settings import Settings
from portal.templating import path_for, render
from portal.web.errors import error_response

LOGIN_COOKIE = "portal_login"
LOGIN_COOKIE_AGE = codes.CODE_LIFETIME + 300  # the code's life, and time to type it


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


LinkRoute = Callable[[Request, Configuration], Awaitable[Response]]


def link_page(route: LinkRoute) -> Callable[[Request], Awaitable[Response]]:
    """A page of a login link: it gets the link's configuration, and its errors are shown
    under that configuration's branding."""

    @functools.wraps(route)
    async def endpoint(request: Request) -> Response:
        configuration = await configurations.by_login_link(
            request.app.state.db, request.path_params["link_id"]
        )
        if configuration is None:
            raise LoginLinkNotFound()
        try:
            return await route(request, configuration)
        except PortalError as error:
            return error_response(request, error, configuration=configuration)

    return endpoint


def _login_cookie(request: Request) -> dict[str, Any]:
    settings = _settings(request)
    value = signed_value(
        settings.secret_key,
        "login",
        request.cookies.get(cookie_name(LOGIN_COOKIE, https=settings.https)),
        max_age=LOGIN_COOKIE_AGE,
    )
    return value if isinstance(value, dict) else {}


def _login_state(request: Request) -> dict[str, Any]:
    """What the login cookie says for this login link: {email, fixed, sent, digits, browser}."""
    value = _login_cookie(request)
    return value if value.get("link") == request.path_params["link_id"] else {}


def _browser(request: Request) -> str:
    """This browser's nonce (≥ 128 random bits): codes it asks for can be typed only here.
    Kept across login links and emails, made when first needed."""
    nonce = _login_cookie(request).get("browser")
    return nonce if isinstance(nonce, str) and nonce else new_token()


def _redirect(
    request: Request,
    name: str,
    state: dict[str, Any] | None = None,
    *,
    notice: Notice | None = None,
    **path_params: Any,
) -> RedirectResponse:
    """303 to a named page; `state` replaces the login cookie; `notice` is shown there once."""
    response = RedirectResponse(path_for(request, name, **path_params), status_code=303)
    if state is not None:
        _set_login_cookie(request, response, state)
    if notice is not None:
        notices.add(request, response, notice)
    return response


def _set_login_cookie(request: Request, response: Response, state: dict[str, Any]) -> None:
    settings = _settings(request)
    response.set_cookie(
        cookie_name(LOGIN_COOKIE, https=settings.https),
        signer(settings.secret_key, "login").dumps(
            {"browser": _browser(request), **state, "link": request.path_params["link_id"]}
        ),
        max_age=LOGIN_COOKIE_AGE,
        httponly=True,
        secure=settings.https,
        samesite="lax",
    )


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _signed_in(request: Request, token: str, to: str | None = None) -> RedirectResponse:
    settings = _settings(request)
    response = RedirectResponse(to or path_for(request, "account:home"), status_code=303)
    response.set_cookie(
        cookie_name(sessions.COOKIE, https=settings.https),
        token,
        max_age=sessions.SESSION_LIFETIME,
        httponly=True,
        secure=settings.https,
        samesite="lax",
    )
    response.delete_cookie(
        cookie_name(LOGIN_COOKIE, https=settings.https),
        secure=settings.https,
        httponly=True,
        samesite="lax",
    )
    return response


# -- Login link ----------------------------------------------------------------------------


@link_page
async def login_page(request: Request, configuration: Configuration) -> Response:
    if configuration.secure_mode:
        if "signature" in request.query_params:
            email = secure_mode.verify_signed_email(configuration, request.query_params)
            # The signed email leaves the address bar (and the logs) straight away.
            return _redirect(
                request,
                "auth:login",
                {"email": email, "fixed": True},
                link_id=configuration.login_link_id,
            )
        state = _login_state(request)
        if not state.get("fixed"):
            raise SecureModeRefused()
        return render(
            request,
            "auth/login.html",
            {"email": state["email"], "fixed": True},
            configuration=configuration,
        )
    email = emails.prefilled_email(request.query_params.get("prefilled_email"))
    return render(
        request, "auth/login.html", {"email": email, "fixed": False}, configuration=configuration
    )


@link_page
async def send_code(request: Request, configuration: Configuration) -> Response:
    state = _login_state(request)
    form = await request.form()
    if configuration.secure_mode:
        if not state.get("fixed"):
            raise SecureModeRefused()
        email = state["email"]
    else:
        email = emails.valid_email(str(form.get("email", "")))
        if email is None:
            return render(
                request,
                "auth/login.html",
                {
                    "email": str(form.get("email", ""))[:512],
                    "fixed": False,
                    "error": InvalidEmail(),
                },
                configuration=configuration,
                status_code=400,
            )
    same_email = state.get("sent") and state.get("email") == email
    new_state = {
        "email": email,
        "fixed": bool(state.get("fixed")),
        "sent": True,
        "browser": _browser(request),
        "digits": state.get("digits") if same_email else None,
    }
    notice = None
    try:
        new_state["digits"] = await _request_code(request, configuration, new_state)
    except ResendTooSoon:
        # Back to the form, or a second tab: the code page again, saying a code was sent.
        notice = Notice.CODE_ALREADY_SENT
    except CodesAlreadySent:
        notice = Notice.CODES_CAPPED
    return _redirect(
        request, "auth:code", new_state, notice=notice, link_id=configuration.login_link_id
    )


async def _request_code(
    request: Request, configuration: Configuration, state: dict[str, Any]
) -> int:
    digits = await codes.request_code(
        request.app.state.db,
        _settings(request),
        configuration,
        state["email"],
        browser=state["browser"],
        ip=_client_ip(request),
        locale=i18n.get_locale(),
    )
    request.app.state.mail_wake.set()
    return digits


async def _code_page(
    request: Request,
    configuration: Configuration,
    state: dict[str, Any],
    *,
    error: PortalError | None = None,
) -> Response:
    return render(
        request,
        "auth/code.html",
        {
            "email": state["email"],
            "fixed": bool(state.get("fixed")),
            "digits": state.get("digits") or codes.SHORT_DIGITS,
            "error": error,
            "sending_fails": await codes.sending_fails(request.app.state.db),
        },
        configuration=configuration,
        status_code=error.status_code if error else 200,
    )


@link_page
async def code_page(request: Request, configuration: Configuration) -> Response:
    state = _login_state(request)
    if not state.get("sent"):
        return _redirect(request, "auth:login", link_id=configuration.login_link_id)
    return await _code_page(request, configuration, state)


@link_page
async def check_code(request: Request, configuration: Configuration) -> Response:
    state = _login_state(request)
    if not state.get("sent"):
        return _redirect(request, "auth:login", link_id=configuration.login_link_id)
    form = await request.form()
    try:
        token = await codes.verify_code(
            request.app.state.db,
            _settings(request),
            configuration,
            state["email"],
            str(form.get("code", "")),
            browser=_browser(request),
            ip=_client_ip(request),
        )
    except (InvalidCodeFormat, CodeNotAccepted, ShortCodeRetired) as error:
        return await _code_page(request, configuration, state, error=error)
    return _signed_in(request, token)


@link_page
async def resend_code(request: Request, configuration: Configuration) -> Response:
    state = _login_state(request)
    if not state.get("sent"):
        return _redirect(request, "auth:login", link_id=configuration.login_link_id)
    state = {**state, "browser": _browser(request)}
    try:
        digits = await _request_code(request, configuration, state)
    except ResendTooSoon as error:
        return await _code_page(request, configuration, state, error=error)
    except CodesAlreadySent:
        return _redirect(
            request,
            "auth:code",
            state,
            notice=Notice.CODES_CAPPED,
            link_id=configuration.login_link_id,
        )
    return _redirect(
        request,
        "auth:code",
        {**state, "digits": digits},
        notice=Notice.CODE_RESENT,
        link_id=configuration.login_link_id,
    )


@link_page
async def retry_sending(request: Request, configuration: Configuration) -> Response:
    if not _login_state(request).get("sent"):
        return _redirect(request, "auth:login", link_id=configuration.login_link_id)
    await codes.retry_sending(request.app.state.db, _settings(request), ip=_client_ip(request))
    return _redirect(request, "auth:code", link_id=configuration.login_link_id)


# -- Magic link ----------------------------------------------------------------------------


@link_page
async def magic_link_page(request: Request, configuration: Configuration) -> Response:
    """GET only shows a button: mail scanners that open links must not use them up."""
    await codes.magic_link_code(
        request.app.state.db, _settings(request), request.path_params["token"]
    )
    return render(request, "auth/magic.html", configuration=configuration)


@link_page
async def confirm_magic_link(request: Request, configuration: Configuration) -> Response:
    token = await codes.confirm_magic_link(
        request.app.state.db, _settings(request), request.path_params["token"]
    )
    return _signed_in(request, token)


# -- One-time session URLs and sign-out ----------------------------------------------------


async def open_session(request: Request) -> Response:
    """The one-time URL a merchant's backend created. Opening it is the sign-in itself, like
    following an OAuth redirect; the URL's token is replaced by a new session id."""
    session, token = await sessions.open_url(
        request.app.state.db, _settings(request), request.path_params["token"]
    )
    response = _signed_in(request, token, flows.landing(request, session["flow"]))
    if session["locale"] and i18n.match(session["locale"]):
        response.set_cookie(
            i18n.COOKIE,
            str(i18n.match(session["locale"])),
            max_age=365 * 86400,
            secure=_settings(request).https,
            samesite="lax",
        )
    return response


async def sign_out(request: Request) -> Response:
    settings = _settings(request)
    db = request.app.state.db
    name = cookie_name(sessions.COOKIE, https=settings.https)
    ended = await sessions.end(db, settings, request.cookies.get(name))
    configuration = ended.configuration if ended else await configurations.default(db)
    response = render(
        request,
        "auth/signed_out.html",
        configuration=configuration,
        return_url=ended.return_url if ended else None,
    )
    response.delete_cookie(name, secure=settings.https, httponly=True, samesite="lax")
    return response


routes = [
    Route("/login/{link_id}", login_page, methods=["GET"], name="auth:login"),
    Route("/login/{link_id}", send_code, methods=["POST"], name="auth:send_code"),
    Route("/login/{link_id}/code", code_page, methods=["GET"], name="auth:code"),
    Route("/login/{link_id}/code", check_code, methods=["POST"], name="auth:check_code"),
    Route("/login/{link_id}/resend", resend_code, methods=["POST"], name="auth:resend"),
    Route("/login/{link_id}/retry", retry_sending, methods=["POST"], name="auth:retry"),
    Route("/login/{link_id}/magic/{token}", magic_link_page, methods=["GET"], name="auth:magic"),
    Route(
        "/login/{link_id}/magic/{token}",
        confirm_magic_link,
        methods=["POST"],
        name="auth:confirm_magic",
    ),
    Route("/session/{token}", open_session, methods=["GET"], name="auth:session"),
    Route("/logout", sign_out, methods=["POST"], name="auth:logout"),
]
