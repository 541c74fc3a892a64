"""The one layer in front of every route: the request's language, security headers on every
answer, and for unsafe requests our own origin, a body within the cap and a valid CSRF token.

One pure-ASGI layer rather than one per concern: each layer costs a wrapped `send` and its
own parsing of the same headers on every request, static files included.

CSRF tokens are a signed double submit: the `csrftoken` cookie holds a value signed with the
server secret, and an unsafe request must repeat it in the `csrftoken` form field or the
`x-csrftoken` header (htmx sends it from `hx-headers` on <body>). There are no exceptions for
requests without cookies or with an Authorization header: browsers attach neither on their
own to a forged form, but a route that trusts them would be one mistake away from a hole.
The exceptions are endpoints for other servers: `signed_paths` (Stripe's webhooks) check a
signature over the body itself, and the API under /v1 authenticates every request by its
secret key in the Authorization header and never reads a cookie; no forged browser request
carries either.
A safe request's cookie is checked only when a page asks for the token.

Refusals (403, 413) are answered here, before any route runs or any body is parsed, through
the one error renderer, so they carry the same page, headers and language as every error.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from itsdangerous import BadSignature
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal import i18n
from portal.errors import CsrfFailed, PortalError, RequestTooLarge
from portal.security import cookie_name, csp_nonce, new_token, same, security_headers, signer
from portal.web.errors import handle_error

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
API_PREFIX = "/v1/"
FIELD = "csrftoken"
HEADER = "x-csrftoken"
TokenGetter = Callable[[], str]
MAX_VERIFIED = 10_000


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        secret_key: str,
        base_url: str,
        max_body_bytes: int,
        signed_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.signed_paths = signed_paths
        self.https = base_url.startswith("https://")
        self.cookie = cookie_name("csrftoken", https=self.https)
        self.signer = signer(secret_key, "csrf")
        parts = urlsplit(base_url)
        self.base_origin = f"{parts.scheme}://{parts.netloc}"
        self.max_body_bytes = max_body_bytes
        self._verified: dict[str, bool] = {}
        self._headers = _SecurityHeaders(https=self.https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = cookie_parser(headers.get("cookie", ""))
        locale, chosen = i18n.locale_of(
            scope["query_string"], cookies, headers.get("accept-language")
        )
        i18n.set_locale(locale)
        scope.setdefault("state", {})["locale"] = locale
        csrf = _Token(self, cookies.get(self.cookie))
        scope["csrftoken"] = csrf

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = self._headers.for_response(scope, message)
                if csrf.hand_out:
                    extra.append((b"set-cookie", self._cookie_header(csrf()).encode()))
                if chosen:
                    extra.append(
                        (
                            b"set-cookie",
                            i18n.locale_cookie(locale, secure=self.https).encode("latin-1"),
                        )
                    )
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        try:
            body = await self._admit(scope, headers, receive, csrf)
        except (CsrfFailed, RequestTooLarge) as refusal:
            response = await handle_error(Request(scope, receive), refusal)
            await response(scope, receive, send_guarded)
            return
        except ClientDisconnect:
            return
        if body is None:
            await self.app(scope, self._capped(receive), send_guarded)
        else:
            await self.app(scope, _replay(body, receive), send_guarded)

    async def _admit(
        self, scope: Scope, headers: Headers, receive: Receive, csrf: _Token
    ) -> bytes | None:
        """The body of an unsafe request that passes every check (None for safe methods, whose
        body is left unread); a refusal is raised."""
        if self._declared_too_large(headers):
            raise RequestTooLarge()
        if scope["method"] in SAFE_METHODS:
            return None
        if scope["path"] in self.signed_paths or scope["path"].startswith(API_PREFIX):
            # Other servers: the endpoint checks the body's signature, or the API its secret
            # key (it reads no cookie, and a browser sends no Authorization on its own).
            return await self._read_body(receive)
        if not self._same_origin(scope, headers):
            raise CsrfFailed()
        body = await self._read_body(receive)
        known = csrf.known()
        if known is None or not await self._carries(scope, headers, body, known):
            raise CsrfFailed()
        return body

    # -- The token ---------------------------------------------------------------------------

    def verified(self, value: str | None) -> str | None:
        """The cookie's token if its signature is ours. The answer for a value never changes,
        and a browser sends the same value with every request: remembered (bounded)."""
        if not value:
            return None
        valid = self._verified.get(value)
        if valid is None:
            try:
                self.signer.loads(value)
                valid = True
            except BadSignature:
                valid = False
            if len(self._verified) >= MAX_VERIFIED:
                self._verified.clear()
            self._verified[value] = valid
        return value if valid else None

    def new_token(self) -> str:
        return self.signer.dumps(new_token(16))

    def _cookie_header(self, token: str) -> str:
        # A browser-session cookie; JavaScript never reads it (pages carry the token).
        parts = [f"{self.cookie}={token}", "Path=/", "SameSite=Lax", "HttpOnly"]
        if self.https:
            parts.append("Secure")
        return "; ".join(parts)

    async def _carries(self, scope: Scope, headers: Headers, body: bytes, token: str) -> bool:
        """Whether the request repeats the cookie's token, in the header or the form."""
        sent = headers.get(HEADER)
        if sent is None:
            sent = await _form_field(scope, headers, body)
        return sent is not None and same(sent, token)

    # -- Origin and size ---------------------------------------------------------------------

    def _same_origin(self, scope: Scope, headers: Headers) -> bool:
        """Browsers send Origin with every cross-site POST; it must name this site."""
        origin = headers.get("origin")
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        return origin is None or origin in (self.base_origin, own)

    def _declared_too_large(self, headers: Headers) -> bool:
        declared = headers.get("content-length")
        if declared is None:
            return False
        return not declared.isdigit() or int(declared) > self.max_body_bytes

    async def _read_body(self, receive: Receive) -> bytes:
        """The whole body, refused as soon as it streams past the cap."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise RequestTooLarge()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _capped(self, receive: Receive) -> Receive:
        """For safe methods, whose routes read no body: should one try, the cap holds."""
        received = 0

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise RequestTooLarge()
            return message

        return capped


async def _form_field(scope: Scope, headers: Headers, body: bytes) -> str | None:
    """The token field of an urlencoded or multipart body (read within the cap already)."""
    content_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        # As text: parsing bytes fails on any value that is not ASCII once unquoted.
        text = body.decode("latin-1")
        for name, value in parse_qsl(text, keep_blank_values=True, errors="replace"):
            if name == FIELD:
                return value
        return None
    if content_type != "multipart/form-data":
        return None
    request = Request(scope, _replay(body, _nothing_more))
    try:
        form = await request.form()
    except (HTTPException, PortalError):
        return None  # malformed: no token to be found
    try:
        field = form.get(FIELD)
        return field if isinstance(field, str) else None
    finally:
        await form.close()


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once more for the route, then the connection's own messages (disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}


class _Token:
    """The CSRF token getter templates call (`csrftoken()`): the cookie is checked, or a new
    token made, only when a page asks. A visitor without a valid cookie gets one with the
    response."""

    __slots__ = ("_cookie", "_guard", "_token", "hand_out")

    def __init__(self, guard: RequestGuard, cookie: str | None) -> None:
        self._guard = guard
        self._cookie = cookie
        self._token: str | None = None
        self.hand_out = False

    def known(self) -> str | None:
        return self._guard.verified(self._cookie)

    def __call__(self) -> str:
        if self._token is None:
            known = self.known()
            self.hand_out = known is None
            self._token = known or self._guard.new_token()
        return self._token


class _SecurityHeaders:
    """security.security_headers() as bytes, built once: only the CSP nonce changes."""

    NONCE = "portal-nonce-placeholder"

    def __init__(self, *, https: bool) -> None:
        template = security_headers({"state": {"csp_nonce": self.NONCE}}, https=https)
        self._fixed = [
            (name.encode(), value.encode())
            for name, value in template.items()
            if self.NONCE not in value
        ]
        self._with_nonce = [
            (name.encode(), value.split(self.NONCE))
            for name, value in template.items()
            if self.NONCE in value
        ]

    def for_response(self, scope: Scope, message: Message) -> list[tuple[bytes, bytes]]:
        """The headers the response does not set itself."""
        present = {name.lower() for name, _ in message.get("headers", ())}
        nonce = csp_nonce(scope)
        out = [(name, value) for name, value in self._fixed if name not in present]
        out += [
            (name, nonce.join(parts).encode())
            for name, parts in self._with_nonce
            if name not in present
        ]
        return out
