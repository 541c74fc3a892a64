"""The merchant's webhook endpoints: where events go, which ones, and the secret that signs
them. An endpoint must be an http(s) URL that does not lead to this machine or a private
network, unless the settings allow it (a receiver in development)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from portal import clock
from portal.db import Database, Row, new_id
from portal.security import new_token
from portal.settings import Settings
from portal.webhooks import queries

EVENT_TYPES = frozenset(
    {
        "billing_portal.configuration.created",
        "billing_portal.configuration.updated",
        "billing_portal.session.created",
        "customer.subscription.deleted",
        "customer.subscription.updated",
        "customer.tax_id.created",
        "customer.tax_id.deleted",
        "customer.tax_id.updated",
        "customer.updated",
        "invoice.created",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.voided",
        "payment_method.attached",
        "payment_method.detached",
    }
)


class EndpointRefused(ValueError):
    """The URL or the events cannot be used; the message says why (for developers)."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def signing_secret(settings: Settings, nonce: str) -> str:
    """An endpoint's `whsec_…`: derived from its nonce with the server's secret key, so it is
    never stored, and the same in every process."""
    digest = hmac.new(settings.secret_key.encode(), f"webhook:{nonce}".encode(), hashlib.sha256)
    return "whsec_" + base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def sign(secret: str, timestamp: int, payload: bytes) -> str:
    """The `Stripe-Signature` header: `t=…,v1=HMAC-SHA256(secret, "t.payload")`."""
    signed = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={signed.hexdigest()}"


async def check_url(url: str, settings: Settings) -> None:
    """EndpointRefused unless `url` is http(s) and every address its host has is public
    (or private addresses are allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 2048:
        raise EndpointRefused("url must be an http or https URL.", "url")
    if parts.username or parts.password:
        raise EndpointRefused("url must not carry a user name or password.", "url")
    if settings.webhooks_to_private_addresses:
        return
    try:
        found = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname,
            parts.port or (443 if parts.scheme == "https" else 80),
            type=socket.SOCK_STREAM,
        )
    except (OSError, UnicodeError):
        raise EndpointRefused(f"The host {parts.hostname} cannot be resolved.", "url") from None
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global or ip.is_multicast:
            raise EndpointRefused(
                f"url leads to a private or loopback address ({ip}): webhooks go to public "
                "addresses only.",
                "url",
            )


def check_events(enabled_events: list[str]) -> list[str]:
    if not enabled_events:
        raise EndpointRefused(
            "enabled_events needs at least one event type, or '*'.", "enabled_events"
        )
    unknown = [t for t in enabled_events if t != "*" and t not in EVENT_TYPES]
    if unknown:
        raise EndpointRefused(
            f"Invalid event type: {unknown[0]}. Use '*' or one of: "
            + ", ".join(sorted(EVENT_TYPES)),
            "enabled_events",
        )
    return sorted(set(enabled_events))


async def create(
    db: Database,
    settings: Settings,
    *,
    url: str,
    enabled_events: list[str],
    description: str | None,
    metadata: dict[str, str],
    livemode: bool,
) -> tuple[Row, str]:
    """A new endpoint, and its signing secret (shown once)."""
    await check_url(url, settings)
    nonce = new_token(24)
    row: Row = {
        "id": new_id("we"),
        "url": url,
        "enabled_events": check_events(enabled_events),
        "secret": nonce,
        "status": "enabled",
        "description": description,
        "metadata": metadata,
        "livemode": livemode,
        "created": clock.timestamp(),
    }
    await queries.insert_endpoint(db, row)
    return row, signing_secret(settings, nonce)


def wants(endpoint: Row, event_type: str) -> bool:
    events: list[str] = endpoint["enabled_events"] or []
    return "*" in events or event_type in events


async def fan_out(db: Database, event: dict[str, Any]) -> None:
    """A delivery of the event for every enabled endpoint of its mode that wants it (in the
    transaction that writes the event)."""
    endpoints = await queries.enabled_endpoints(db, event["livemode"])
    await queries.insert_deliveries(
        db,
        [
            {
                "id": new_id("wd"),
                "endpoint_id": endpoint["id"],
                "event_id": event["id"],
                "attempts": 0,
                "next_attempt_at": event["created"],
                "created": event["created"],
            }
            for endpoint in endpoints
            if wants(endpoint, event["type"])
        ],
    )
