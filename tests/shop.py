"""A catalog with plans to switch between, and signed-in customers on them (the `shop` fixture)."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from portal import clock
from portal.auth import sessions
from portal.db import Database
from portal.settings import Settings
from tests import factories

DAY = 86400


def catalog() -> dict[str, Any]:
    basic, pro, other = (factories.product(name=n) for n in ("Basic", "Pro", "Hidden"))
    prices = {
        "basic_month": factories.price(basic["id"], unit_amount=1000),
        "basic_year": factories.price(
            basic["id"], unit_amount=10000, recurring={"interval": "year"}
        ),
        "pro_month": factories.price(pro["id"], unit_amount=3000),
        "pro_year": factories.price(pro["id"], unit_amount=30000, recurring={"interval": "year"}),
        "pro_month_usd": factories.price(pro["id"], unit_amount=3300, currency="usd"),
        "hidden_month": factories.price(other["id"], unit_amount=500),
    }
    return {"products": {"basic": basic, "pro": pro, "hidden": other}, "prices": prices}


def features(cat: dict[str, Any], **update: Any) -> dict[str, Any]:
    p = cat["prices"]
    return {
        "invoice_history": {"enabled": True},
        "subscription_update": {
            "enabled": True,
            "default_allowed_updates": ["price", "quantity", "promotion_code"],
            "products": [
                {
                    "product": cat["products"]["basic"]["id"],
                    "prices": [p["basic_month"]["id"], p["basic_year"]["id"]],
                },
                {
                    "product": cat["products"]["pro"]["id"],
                    "prices": [p["pro_month"]["id"], p["pro_year"]["id"], p["pro_month_usd"]["id"]],
                    "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 10},
                },
            ],
            "proration_behavior": "create_prorations",
            **update,
        },
    }


class Shop:
    """Builds a customer on a plan, signed in through a one-time session URL."""

    def __init__(self, db: Database, settings: Settings, client: AsyncClient) -> None:
        self.db, self.settings, self.client = db, settings, client
        self.cat = catalog()
        self.prices = self.cat["prices"]

    async def customer(
        self,
        *,
        plan: str = "basic_month",
        quantity: int = 1,
        card_last4: str = "4242",
        update: dict[str, Any] | None = None,
        more_features: dict[str, Any] | None = None,
        subscription: dict[str, Any] | None = None,
        coupons: list[dict[str, Any]] | None = None,
        promotion_codes: list[dict[str, Any]] | None = None,
        invoices: int = 1,
        later: int = 0,
    ) -> dict[str, Any]:
        """`update`: the configuration's subscription_update; `more_features`: its other
        features; `later`: seconds that pass between loading the data and signing in."""
        now = clock.timestamp()
        config = factories.configuration(
            features={**features(self.cat, **(update or {})), **(more_features or {})}
        )
        cus = factories.customer()
        pm = factories.card(
            cus["id"],
            card={"brand": "visa", "last4": card_last4, "exp_month": 12, "exp_year": 2040},
        )
        cus["invoice_settings"] = {"default_payment_method": pm["id"]}
        sub = factories.subscription(
            cus["id"],
            self.prices[plan]["id"],
            quantity=quantity,
            **{
                "current_period_start": now - 10 * DAY,
                "current_period_end": now + 20 * DAY,
                **(subscription or {}),
            },
        )
        history = [
            factories.invoice(
                cus["id"], 1000, subscription_id=sub["id"], created=now - (10 + 30 * k) * DAY
            )
            for k in range(invoices)
        ]
        await factories.seed(
            self.db,
            portal_configurations=[config],
            products=list(self.cat["products"].values()),
            prices=list(self.prices.values()),
            customers=[cus],
            payment_methods=[pm],
            subscriptions=[sub],
            invoices=history,
            coupons=coupons or [],
            promotion_codes=promotion_codes or [],
        )
        clock.advance(later)
        data = {
            "customer": cus,
            "subscription": sub,
            "configuration": config,
            "card": pm,
            "invoices": history,
        }
        await self.sign_in_again(data)
        return data

    async def sign_in_again(self, data: dict[str, Any]) -> None:
        """A new session for the customer (after the clock moved past the last one)."""
        url = (
            await sessions.issue(
                self.db,
                self.settings,
                customer_id=data["customer"]["id"],
                configuration_id=data["configuration"]["id"],
            )
        ).url
        self.client.cookies.clear()
        assert (await self.client.get(url.removeprefix(self.settings.base_url))).status_code == 303
