"""Test data in the load format, written through the loader (the real data path)."""

from __future__ import annotations

import itertools
from typing import Any

from portal import clock
from portal.db import Database
from portal.loader import load, parse

_ids = itertools.count(1)
DAY = 86400


def uid(prefix: str) -> str:
    return f"{prefix}_t{next(_ids):06d}"


def configuration(**overrides: Any) -> dict[str, Any]:
    return {
        "id": uid("bpc"),
        "is_default": True,
        "active": True,
        "created": clock.timestamp(),
        "business_profile": {
            "name": "Tessellate",
            "headline": "Plans and billing",
            "privacy_policy_url": "https://tessellate.example/privacy",
            "terms_of_service_url": "https://tessellate.example/terms",
        },
        "branding": {
            "background_color": "#f4f1ea",
            "button_color": "#7a1fa2",
            "font": "serif",
            "corner_shape": "pill",
        },
        "login_page": {"enabled": True, "link_id": uid("link")},
        "features": {"invoice_history": {"enabled": True}},
        **overrides,
    }


def product(**overrides: Any) -> dict[str, Any]:
    return {"id": uid("prod"), "name": "Team", "created": clock.timestamp(), **overrides}


def price(product_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "id": uid("price"),
        "product": product_id,
        "currency": "eur",
        "unit_amount": 2500,
        "recurring": {"interval": "month"},
        "created": clock.timestamp(),
        **overrides,
    }


def customer(**overrides: Any) -> dict[str, Any]:
    n = next(_ids)
    return {
        "id": uid("cus"),
        "email": f"customer{n}@example.com",
        "name": f"Customer {n}",
        "created": clock.timestamp(),
        **overrides,
    }


def card(customer_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "id": uid("pm"),
        "customer": customer_id,
        "type": "card",
        "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031},
        "created": clock.timestamp(),
        **overrides,
    }


def subscription(
    customer_id: str, price_id: str, *, quantity: int = 1, **overrides: Any
) -> dict[str, Any]:
    now = clock.timestamp()
    return {
        "id": uid("sub"),
        "customer": customer_id,
        "status": "active",
        "items": {"data": [{"id": uid("si"), "price": price_id, "quantity": quantity}]},
        "current_period_start": now - 10 * DAY,
        "current_period_end": now + 20 * DAY,
        "created": now - 40 * DAY,
        **overrides,
    }


def invoice(
    customer_id: str,
    amount: int,
    *,
    subscription_id: str | None = None,
    created: int | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    created = clock.timestamp() if created is None else created
    return {
        "id": uid("in"),
        "customer": customer_id,
        "subscription": subscription_id,
        "number": f"T-{next(_ids):05d}",
        "status": "paid",
        "currency": "eur",
        "subtotal": amount,
        "total": amount,
        "amount_due": amount,
        "amount_paid": amount,
        "created": created,
        "status_transitions": {"paid_at": created + 60},
        "lines": {"data": [{"id": uid("il"), "amount": amount, "quantity": 1}]},
        **overrides,
    }


async def seed(db: Database, **lists: list[dict[str, Any]]) -> None:
    await load(db, parse(lists))


async def customer_with_plan(db: Database, **customer_overrides: Any) -> dict[str, Any]:
    """A configuration, a product and price, and a customer with a card, an active
    subscription and two paid invoices. Returns the objects by kind."""
    config = configuration()
    prod = product(name="Team plan")
    monthly = price(prod["id"], unit_amount=4900)
    cus = customer(**customer_overrides)
    pm = card(cus["id"])
    cus["invoice_settings"] = {"default_payment_method": pm["id"]}
    sub = subscription(cus["id"], monthly["id"], quantity=3)
    now = clock.timestamp()
    invoices = [
        invoice(cus["id"], 14700, subscription_id=sub["id"], created=now - k * 30 * DAY)
        for k in (1, 2)
    ]
    await seed(
        db,
        portal_configurations=[config],
        products=[prod],
        prices=[monthly],
        customers=[cus],
        payment_methods=[pm],
        subscriptions=[sub],
        invoices=invoices,
    )
    return {
        "configuration": config,
        "product": prod,
        "price": monthly,
        "customer": cus,
        "payment_method": pm,
        "subscription": sub,
        "invoices": invoices,
    }
