"""The one render path: `render(request, name, context)` for pages, partials and errors."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from portal import ROOT, i18n, notices
from portal.auth.sessions import SignedIn
from portal.htmx import HtmxDetails
from portal.merchant.branding import Branding
from portal.merchant.configuration import Configuration
from portal.security import csp_nonce


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )
    # Jinja's newstyle gettext formats and escapes the placeholders itself.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.translations(i18n.get_locale()).gettext(message),
        ngettext=lambda singular, plural, n: i18n.translations(i18n.get_locale()).ngettext(
            singular, plural, n),
        newstyle=True,
    )
    env.filters.update(i18n.FILTERS)
    env.globals["error_text"] = i18n.error_text
    env.globals["url_for"] = url_for
    return env


def path_for(request: Request, name: str, /, **path_params: Any) -> str:
    """A path on this site (never a full URL built from the Host header)."""
    path = request.app.url_path_for(name, **path_params)
    # The prefix the app is served under (not the Mount a route sits in: that is in `path`).
    prefix = request.scope.get("app_root_path", request.scope.get("root_path", ""))
    return str(prefix) + str(path)


@jinja2.pass_context
def url_for(context: Mapping[str, Any], name: str, /, **path_params: Any) -> str:
    return path_for(context["request"], name, **path_params)


templates = Jinja2Templates(env=_environment())


def _language_links(request: Request) -> list[tuple[str, str, str]]:
    """(code, name, href) for the switcher: this page again, in each language.

    The links are query-only relative references (`?…&locale=fr`): a browser resolves them
    against the page's own address, so no path trick (`//host`, `/\\host`, encoded slashes)
    can turn them into links to another site."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "locale"]
    return [(code, name, f"?{urlencode([*params, ('locale', code)])}")
            for code, name in i18n.language_names().items()]


def base_context(request: Request, *, session: SignedIn | None = None,
                 configuration: Configuration | None = None,
                 return_url: str | None = None) -> dict[str, Any]:
    """What every page's frame shows: the configuration's branding and login link, the way
    back to the business, and whether someone is signed in (then their configuration)."""
    settings = request.app.state.settings
    if session is not None:
        configuration, return_url = session.configuration, return_url or session.return_url
    login_link = configuration.login_link if configuration else None
    return {
        "request": request,
        "locale": i18n.get_locale(),
        "html_lang": i18n.get_locale().replace("_", "-"),
        "languages": _language_links(request),
        "configuration": configuration,
        "branding": Branding.of(configuration),
        "csp_nonce": csp_nonce(request.scope),
        "htmx": HtmxDetails.from_request(request),
        "debug": settings.debug,
        "test_mode": settings.test_mode,
        "signed_in": session is not None,
        "error": None,
        "notice": None,
        "login_url": path_for(request, "auth:login", link_id=login_link) if login_link else None,
        "return_url": return_url or (configuration.default_return_url if configuration
                                     else None),
        # The request guard puts the token getter in the scope; calling it sets the cookie.
        "csrftoken": request.scope.get("csrftoken", lambda: ""),
    }


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    session: SignedIn | None = None,
    configuration: Configuration | None = None,
    return_url: str | None = None,
    partial: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page, or its `partial` alone when htmx asks for a fragment.

    A request whose htmx target is `page` (the language switcher) gets the page without the
    document shell; `base.html` decides that from `htmx`. A page (not a partial) shows the
    pending one-time notice and clears it.
    """
    ctx = base_context(request, session=session, configuration=configuration,
                       return_url=return_url)
    ctx.update(context or {})
    htmx: HtmxDetails = ctx["htmx"]
    if partial is not None and htmx.partial and htmx.target not in (None, "page"):
        name = partial
    # A one-time notice waits for the next page, not for a partial of the one before.
    page = not PurePosixPath(name).name.startswith("_")
    if page:
        ctx["notice"] = notices.pending(request)
    response = templates.TemplateResponse(
        request, name, ctx, status_code=status_code, headers=dict(headers or {})
    )
    if page:
        notices.clear(request, response)
    if page and htmx.partial and htmx.target == "page":
        # The language switcher: the address bar shows what reloads this page in the new
        # language, with what the page's forms sent. Query-only, like the links themselves.
        response.headers["hx-replace-url"] = f"?{urlencode(request.query_params.multi_items())}"
    response.headers["vary"] = "HX-Request"
    response.headers["cache-control"] = "no-store"
    return response
