"""Customers with a plan, under a configuration that lets them cancel or pause, and the
pages of the cancellation steps read as a browser would."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient, Response
from selectolax.lexbor import LexborNode
from sqlalchemy import select

from portal import clock
from portal.db import Database
from portal.tables import events, outbox_emails, subscriptions
from tests.conftest import html

REASONS = ["too_expensive", "missing_features", "unused", "other"]


def cancel_feature(**overrides: Any) -> dict[str, Any]:
    return {
        "subscription_cancel": {
            "enabled": True,
            "mode": "at_period_end",
            "proration_behavior": "none",
            "cancellation_reason": {"enabled": True, "options": REASONS},
            **overrides,
        },
        "subscription_pause": {"enabled": True},
    }


def retention_coupon(**overrides: Any) -> dict[str, Any]:
    return {
        "id": "stay25",
        "name": "25% off for 3 months if you stay",
        "percent_off": 25,
        "duration": "repeating",
        "duration_in_months": 3,
        "times_redeemed": 0,
        "valid": True,
        "created": clock.timestamp(),
        **overrides,
    }


def cancel_url(sub: dict[str, Any], suffix: str = "") -> str:
    return f"/p/subscriptions/{sub['id']}/cancel{suffix}"


async def step(client: AsyncClient, sub: dict[str, Any], **params: str) -> Response:
    return await client.get(cancel_url(sub), params=params)


def shown_step(response: Response) -> str:
    section = html(response).css_first("#cancel-flow")
    return str(section.attributes["data-step"])


def hidden_fields(form: LexborNode) -> dict[str, str]:
    """What a form sends of itself: its hidden fields (the CSRF token, versions, answers)."""
    return {
        str(i.attributes["name"]): i.attributes.get("value") or ""
        for i in form.css("input[type=hidden]")
    }


async def submit(
    client: AsyncClient, response: Response, form: str = "form[method=post]"
) -> Response:
    """Submit a form of the page exactly as shown (its hidden fields)."""
    node = html(response).css_first(f"#cancel-flow {form}")
    return await client.post(str(node.attributes["action"]), data=hidden_fields(node))


async def row(db: Database, sub_id: str) -> dict[str, Any]:
    found = await db.fetch_one(select(subscriptions).where(subscriptions.c.id == sub_id))
    assert found is not None
    return found


async def subscription_events(db: Database, sub_id: str) -> list[dict[str, Any]]:
    """Its events, oldest first (those of one second in no particular order)."""
    rows = await db.fetch_all(select(events).order_by(events.c.created, events.c.id))
    return [e for e in rows if e["data"].get("id") == sub_id and "subscription" in e["type"]]


async def mails(db: Database) -> list[dict[str, Any]]:
    return await db.fetch_all(select(outbox_emails).where(outbox_emails.c.template != "login_code"))
