"""Response headers every answer carries, and the request-size cap."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def csp_nonce(scope: Scope) -> str:
    """The nonce of this response's Content-Security-Policy (made once per request)."""
    state = scope.setdefault("state", {})
    if "csp_nonce" not in state:
        state["csp_nonce"] = secrets.token_urlsafe(18)
    nonce: str = state["csp_nonce"]
    return nonce


def security_headers(scope: Scope, *, https: bool) -> dict[str, str]:
    nonce = csp_nonce(scope)
    policy = "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' https: data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ])
    headers = {
        "content-security-policy": policy,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        # Not "no-referrer": browsers would then send "Origin: null" with our own forms.
        "referrer-policy": "same-origin",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if https:
        headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"
    return headers


class SecurityHeadersMiddleware:
    """Adds the headers to every response that passes through, errors and partials included."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in security_headers(scope, https=self.https).items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """Refuses a body over the cap with 413 as soon as the route reads it, before any parsing:
    by its Content-Length, or while it streams in. The error handler renders the page."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        too_large = not declared.isdigit() or int(declared) > self.max_bytes
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if too_large:
                raise HTTPException(413)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413)
            return message

        await self.app(scope, limited_receive, send)


# -- Secrets and tokens --------------------------------------------------------------------

def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token (256 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` for one purpose: how codes, tokens and throttle keys are stored."""
    return hmac.new(secret.encode(), f"{purpose}\n{value}".encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def cookie_name(name: str, *, https: bool) -> str:
    """`__Host-` cookies are bound to this exact origin, and only exist under HTTPS."""
    return f"__Host-{name}" if https else name


def signer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    """Signed, timestamped values for cookies that carry state between two pages."""
    return URLSafeTimedSerializer(secret, salt=f"portal-{purpose}")


def signed_value(secret: str, purpose: str, value: str | None, *, max_age: int) -> Any:
    if not value:
        return None
    try:
        return signer(secret, purpose).loads(value, max_age=max_age)
    except BadSignature:
        return None


# -- Cross-site requests -------------------------------------------------------------------

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
Refusal = Callable[[Scope, Receive, Send], Awaitable[None]]


class SameOriginMiddleware:
    """Refuses unsafe requests whose Origin header names another site.

    Browsers send Origin with every cross-site POST, cookies or not, so this also covers the
    requests the CSRF token check lets through because they carry no cookies."""

    def __init__(self, app: ASGIApp, *, base_url: str, refuse: Refusal) -> None:
        self.app = app
        parts = urlsplit(base_url)
        self.base_origin = f"{parts.scheme}://{parts.netloc}"
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
            if origin is not None and origin not in (self.base_origin, own):
                await self.refuse(scope, receive, send)
                return
        await self.app(scope, receive, send)
