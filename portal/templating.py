"""The one render path: `render(request, name, context)` for pages, partials and errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.nodes import EvalContext
from markupsafe import Markup
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Router
from starlette.templating import Jinja2Templates

from portal import ROOT, assets, i18n, notices
from portal.auth.sessions import SignedIn
from portal.billing_details import addresses, phones, tax_ids
from portal.core.text import N_
from portal.htmx import HtmxDetails
from portal.merchant.branding import Branding
from portal.merchant.configuration import Configuration
from portal.security import csp_nonce

MAX_PATHS = 4096


def _environment(locale: str | None = None) -> jinja2.Environment:
    """Templates with gettext at render time, or, given a locale, that locale's templates with
    their constant messages translated when they are compiled (`PreTranslated`)."""
    env = _Environment(
        loader=jinja2.FileSystemLoader(ROOT / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n", *([PreTranslated] if locale else [])],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )
    # Jinja's newstyle gettext formats and escapes the placeholders itself.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.translations(i18n.get_locale()).gettext(message),
        ngettext=lambda singular, plural, n: i18n.translations(i18n.get_locale()).ngettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    env.filters.update(i18n.FILTERS)
    env.filters["invoice_status"] = invoice_status
    env.filters["tax_id_type"] = tax_ids.type_name
    env.filters["address_lines"] = lambda address: addresses.lines(address, i18n.get_locale())
    env.filters["phone"] = phones.display
    env.globals["error_text"] = i18n.error_text
    env.globals["url_for"] = url_for
    env.globals["path_pattern"] = path_pattern
    env.globals[PreTranslated.FORMAT] = _format
    env.extend(pretranslate_locale=locale)
    return env


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    def make_globals(self, d: Mapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one dict rather than Jinja's ChainMap over the
        environment's: every render and macro import looks names up in them and copies
        them, and a ChainMap does each in Python. The same names and values: the globals
        are all set before the first template loads and never change."""
        return {**self.globals, **(d or {})}

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`row.column` on a dict row, found directly: Jinja tries the attribute first, and
        the AttributeError it catches for every column shown costs more than the lookup.
        The answer is Jinja's: a dict's own attributes (`items`) still come first."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class PreTranslated(Extension):
    """`_("Billing")` becomes the translated text itself when the template is compiled, and
    `_("%(amount)s per month", amount=…)` a formatting of the translated text: one template
    per language, without a gettext call per message per render (two context calls, a
    catalogue lookup and a Markup format each: a quarter of the overview's time in process).
    Messages that are not a literal (`_(error.title)`) and plurals stay gettext calls. The
    result is what Jinja's newstyle gettext gives."""

    FORMAT = "_pretranslated_format"

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        locale: str = self.environment.pretranslate_locale  # type: ignore[attr-defined]
        catalogue = i18n.translations(locale)
        previous: Token | None = None
        for token in stream:
            if (
                token.type == "name"
                and token.value in ("_", "gettext")
                and (previous is None or previous.type != "dot")
                and stream.current.type == "lparen"
                and stream.look().type == "string"
            ):
                yield from self._translated(token, stream, catalogue)
                previous = None
                continue
            previous = token
            yield token

    def _translated(self, name: Token, stream: TokenStream, catalogue: Any) -> Iterator[Token]:
        lparen = next(stream)
        message = next(stream)
        text = catalogue.gettext(message.value)
        line = message.lineno
        if stream.current.type == "rparen":  # no variables: the message is the output
            next(stream)
            yield from (
                Token(line, "lparen", "("),
                Token(line, "string", text % {}),
                Token(line, "pipe", "|"),
                Token(line, "name", "safe"),
                Token(line, "rparen", ")"),
            )
        elif stream.current.type == "comma":  # variables: formatted at render time
            yield from (
                Token(name.lineno, "name", self.FORMAT),
                lparen,
                Token(line, "string", text),
            )
        else:  # an expression (`_("a" ~ b)`): as it was
            yield from (name, lparen, message)


INVOICE_STATUSES = {
    "paid": N_("Paid"),
    "open": N_("Due"),
    "void": N_("Void"),
    "draft": N_("Draft"),
    "uncollectible": N_("Uncollectible"),
}


def invoice_status(status: str) -> Markup:
    """An invoice's status as a badge in the reader's language (a filter: every row of an
    invoice list shows one, and a macro call per row costs more than the rest of the row)."""
    return _invoice_status(status, i18n.get_locale())


@lru_cache(maxsize=64)
def _invoice_status(status: str, locale: str) -> Markup:
    label = INVOICE_STATUSES.get(status)
    text = i18n.translations(locale).gettext(label) if label else status
    return Markup('<span class="badge badge-invoice-{}">{}</span>').format(status, text)


@jinja2.pass_eval_context
def _format(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    """The formatting half of Jinja's newstyle gettext."""
    text = Markup(message) if eval_ctx.autoescape else message  # noqa: S704 - as Jinja: ours
    return text % variables


def path_for(request: Request, name: str, /, **path_params: Any) -> str:
    """A path on this site (never a full URL built from the Host header); a static file's
    is its fingerprinted one (assets.py)."""
    if name in assets.DIRECTORIES and "path" in path_params:
        path_params["path"] = assets.of(name).fingerprinted(path_params["path"])
    try:
        path = _route_path(request.app.router, name, tuple(sorted(path_params.items())))
    except TypeError:  # a value that cannot be a cache key
        path = str(request.app.url_path_for(name, **path_params))
    # The prefix the app is served under (not the Mount a route sits in: that is in `path`).
    return str(request.scope.get("app_root_path", request.scope.get("root_path", ""))) + path


def _route_path(router: Router, name: str, params: tuple[tuple[str, Any], ...]) -> str:
    """Routes do not change once the app runs, and Starlette's lookup tries every route in
    turn, raising an exception for each that does not match: remember the answers."""
    cache: dict[Any, str] = router.__dict__.setdefault("portal_paths", {})
    key = (name, params)
    found = cache.get(key)
    if found is None:
        if len(cache) >= MAX_PATHS:  # ids in paths: keep the memory bounded
            cache.clear()
        found = cache[key] = str(router.url_path_for(name, **dict(params)))
    return found


def _static_images(branding: Branding) -> Branding:
    """Branding images that are our own static files, at their fingerprinted paths."""
    if not any(
        url and url.startswith("/static/") for url in (branding.logo_url, branding.icon_url)
    ):
        return branding
    static = assets.of("static")

    def local(url: str | None) -> str | None:
        if url is None or not url.startswith("/static/"):
            return url
        return "/static/" + static.fingerprinted(url.removeprefix("/static/"))

    return replace(branding, logo_url=local(branding.logo_url), icon_url=local(branding.icon_url))


@jinja2.pass_context
def url_for(context: Mapping[str, Any], name: str, /, **path_params: Any) -> str:
    return path_for(context["request"], name, **path_params)


@jinja2.pass_context
def path_pattern(context: Mapping[str, Any], name: str, parameter: str, /) -> str:
    """The path of route `name` with `%s` where its one `parameter` goes, for a link on
    every row of a long table: `{{ pattern % row.id }}` is an operator, where a `url_for`
    is a call through Jinja's context on every row (a third of an invoice row's time)."""
    marker = "\x00"
    path = path_for(context["request"], name, **{parameter: marker})
    return path.replace("%", "%%").replace(marker, "%s")


templates = Jinja2Templates(env=_environment())
"""gettext at render time (emails, rendered in the recipient's language)."""
_by_locale: dict[str, jinja2.Environment] = {}


def _templates_in(locale: str) -> jinja2.Environment:
    env = _by_locale.get(locale)
    if env is None:
        env = _by_locale[locale] = _environment(locale)
    return env


def _language_links(request: Request) -> list[tuple[str, str, str]]:
    """(code, name, href) for the switcher: this page again, in each language.

    The links are query-only relative references (`?…&locale=fr`): a browser resolves them
    against the page's own address, so no path trick (`//host`, `/\\host`, encoded slashes)
    can turn them into links to another site."""
    return _links_for(request.scope["query_string"])


@lru_cache(maxsize=256)
def _links_for(query_string: bytes) -> list[tuple[str, str, str]]:
    """Links depend on the query alone, and most pages have none (templates only read it)."""
    params = [(k, v) for k, v in QueryParams(query_string).multi_items() if k != "locale"]
    return [
        (code, name, f"?{urlencode([*params, ('locale', code)])}")
        for code, name in i18n.language_names().items()
    ]


def base_context(
    request: Request,
    *,
    session: SignedIn | None = None,
    configuration: Configuration | None = None,
    return_url: str | None = None,
) -> dict[str, Any]:
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
        "branding": _static_images(Branding.of(configuration)),
        "csp_nonce": csp_nonce(request.scope),
        "htmx": HtmxDetails.from_request(request),
        "debug": settings.debug,
        "test_mode": settings.test_mode,
        "signed_in": session is not None,
        "error": None,
        "notice": None,
        "login_url": path_for(request, "auth:login", link_id=login_link) if login_link else None,
        "return_url": return_url or (configuration.default_return_url if configuration else None),
        # The request guard puts the token getter in the scope; calling it sets the cookie.
        "csrftoken": request.scope.get("csrftoken", lambda: ""),
    }


def render_text(
    request: Request, name: str, context: Mapping[str, Any], *, session: SignedIn
) -> str:
    """A template rendered for a signed-in customer, as text (an invoice's document)."""
    ctx = base_context(request, session=session)
    ctx.update(context)
    return _templates_in(i18n.get_locale()).get_template(name).render(ctx)


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
    ctx = base_context(request, session=session, configuration=configuration, return_url=return_url)
    ctx.update(context or {})
    htmx: HtmxDetails = ctx["htmx"]
    if partial is not None and htmx.partial and htmx.target not in (None, "page"):
        name = partial
    # A one-time notice waits for the next page, not for a partial of the one before.
    page = not name.rpartition("/")[2].startswith("_")
    if page:
        ctx["notice"] = notices.pending(request)
    template = _templates_in(i18n.get_locale()).get_template(name)
    fixed = {"vary": "HX-Request", "cache-control": "no-store"}
    response = HTMLResponse(
        template.render(ctx),
        status_code=status_code,
        headers={**{k: v for k, v in (headers or {}).items() if k.lower() not in fixed}, **fixed},
    )
    if page:
        notices.clear(request, response)
    if page and htmx.partial and htmx.target == "page":
        # The language switcher: the address bar shows what reloads this page in the new
        # language, with what the page's forms sent. Query-only, like the links themselves.
        response.headers["hx-replace-url"] = f"?{urlencode(request.query_params.multi_items())}"
    return response
