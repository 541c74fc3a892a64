"""Secure mode: a login link that only opens with an email the merchant's site has signed."""

from __future__ import annotations

from typing import Any

from portal import clock
from portal.auth.emails import valid_email
from portal.errors import InvalidEmail, SecureModeRefused
from portal.merchant.configuration import Configuration
from portal.security import keyed_hash, same

SIGNATURE_MAX_AGE = 10 * 60


def login_signature(secret: str, configuration_id: str, email: str, timestamp: str) -> str:
    """HMAC-SHA256 of "portal-login\n<configuration>\n<email>\n<timestamp>": see "Secure
    mode" in the README for the merchant's side."""
    return keyed_hash(secret, "portal-login", f"{configuration_id}\n{email}\n{timestamp}")


def verify_signed_email(configuration: Configuration, params: Any) -> str:
    """The email a secure-mode link carries, once its signature checks out."""
    secret = configuration.secure_mode_secret
    email, timestamp, signature = (
        params.get("prefilled_email"),
        params.get("timestamp"),
        params.get("signature"),
    )
    if not (secret and email and timestamp and signature and timestamp.isdigit()):
        raise SecureModeRefused()
    age = clock.timestamp() - int(timestamp)
    expected = login_signature(secret, configuration.id, email, timestamp)
    if not (-60 <= age <= SIGNATURE_MAX_AGE and same(signature, expected)):
        raise SecureModeRefused()
    address = valid_email(email)
    if address is None:
        raise InvalidEmail()
    return address
