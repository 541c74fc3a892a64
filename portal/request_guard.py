"""The one layer in front of every route: security headers on every answer, and for unsafe
requests our own origin, a body within the cap and a valid CSRF token.

CSRF tokens are a signed double submit: the `csrftoken` cookie holds a value signed with the
server secret, and an unsafe request must repeat it in the `csrftoken` form field or the
`x-csrftoken` header (htmx sends it from `hx-headers` on <body>). There are no exceptions for
requests without cookies or with an Authorization header: browsers attach neither on their
own to a forged form, but a route that trusts them would be one mistake away from a hole.

Refusals (403, 413) are answered here, before any route runs or any body is parsed, through
the one error renderer, so they carry the same page, headers and language as every error.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from itsdangerous import BadSignature
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.errors import CsrfFailed, PortalError, RequestTooLarge
from portal.security import cookie_name, new_token, same, security_headers, signer
from portal.web.errors import handle_error

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FIELD = "csrftoken"
HEADER = "x-csrftoken"
TokenGetter = Callable[[], str]


class RequestGuard:
    def __init__(self, app: ASGIApp, *, secret_key: str, base_url: str,
                 max_body_bytes: int) -> None:
        self.app = app
        self.https = base_url.startswith("https://")
        self.cookie = cookie_name("csrftoken", https=self.https)
        self.signer = signer(secret_key, "csrf")
        parts = urlsplit(base_url)
        self.base_origin = f"{parts.scheme}://{parts.netloc}"
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        known = self._cookie_token(headers)
        token = known or self.signer.dumps(new_token(16))
        hand_out = False

        def csrftoken() -> str:
            """For templates; a visitor without a valid cookie gets one with this response."""
            nonlocal hand_out
            hand_out = known is None
            return token

        scope["csrftoken"] = csrftoken

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in security_headers(scope, https=self.https).items():
                    out.setdefault(name, value)
                if hand_out:
                    out.append("set-cookie", self._cookie_header(token))
            await send(message)

        try:
            body = await self._admit(scope, headers, receive, known)
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

    async def _admit(self, scope: Scope, headers: Headers, receive: Receive,
                     known: str | None) -> bytes | None:
        """The body of an unsafe request that passes every check (None for safe methods, whose
        body is left unread); a refusal is raised."""
        if self._declared_too_large(headers):
            raise RequestTooLarge()
        if scope["method"] in SAFE_METHODS:
            return None
        if not self._same_origin(scope, headers):
            raise CsrfFailed()
        body = await self._read_body(receive)
        if known is None or not await self._carries(scope, headers, body, known):
            raise CsrfFailed()
        return body

    # -- The token ---------------------------------------------------------------------------

    def _cookie_token(self, headers: Headers) -> str | None:
        value = cookie_parser(headers.get("cookie", "")).get(self.cookie)
        if not value:
            return None
        try:
            self.signer.loads(value)
        except BadSignature:
            return None
        return value

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
