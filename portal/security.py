"""Response headers every answer carries; secrets, signed values and keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.types import Scope


def csp_nonce(scope: Scope) -> str:
    """The nonce of this response's Content-Security-Policy (made once per request)."""
    state = scope.setdefault("state", {})
    if "csp_nonce" not in state:
        state["csp_nonce"] = secrets.token_urlsafe(18)
    nonce: str = state["csp_nonce"]
    return nonce


def security_headers(scope: Scope, *, https: bool) -> dict[str, str]:
    nonce = csp_nonce(scope)
    policy = "; ".join(
        [
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
        ]
    )
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
