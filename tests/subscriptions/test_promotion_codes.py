"""Promotion codes: every reason a code is refused has its own message; a good one discounts."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from portal.db import Database
from tests.conftest import html
from tests.shop import Shop
from tests.subscriptions.helpers import amounts, confirm, new_invoices, preview


def coupon(**overrides: Any) -> dict[str, Any]:
    return {"id": "SAVE", "percent_off": 20, "duration": "forever", "created": 1, **overrides}


def code(name: str = "SAVE20", **overrides: Any) -> dict[str, Any]:
    return {
        "id": f"promo_{name.lower()}",
        "code": name,
        "coupon": "SAVE",
        "created": 1,
        **overrides,
    }


REFUSALS = [
    ("unknown", {}, {}, "NOPE", "There is no promotion code NOPE"),
    ("inactive", {}, {"active": False}, "SAVE20", "no longer active"),
    ("expired", {}, {"expires_at": 1_000_000}, "SAVE20", "has expired"),
    ("coupon expired", {"redeem_by": 1_000_000}, {}, "SAVE20", "has expired"),
    ("used up", {}, {"max_redemptions": 2, "times_redeemed": 2}, "SAVE20", "as many times"),
    (
        "first time",
        {},
        {"restrictions": {"first_time_transaction": True}},
        "SAVE20",
        "new customers only",
    ),
    (
        "minimum",
        {},
        {"restrictions": {"minimum_amount": 5000, "minimum_amount_currency": "eur"}},
        "SAVE20",
        "at least €50.00",
    ),
    (
        "currency",
        {"percent_off": None, "amount_off": 500, "currency": "usd"},
        {},
        "SAVE20",
        "prices in EUR",
    ),
    (
        "product",
        {"applies_to": {"products": ["prod_elsewhere"]}},
        {},
        "SAVE20",
        "does not apply to Pro",
    ),
]


@pytest.mark.parametrize(
    ("case", "coupon_change", "code_change", "typed", "message"),
    REFUSALS,
    ids=[r[0] for r in REFUSALS],
)
async def test_each_refusal_says_why(
    shop: Shop,
    client: AsyncClient,
    db: Database,
    case: str,
    coupon_change: dict[str, Any],
    code_change: dict[str, Any],
    typed: str,
    message: str,
) -> None:
    if case == "product":
        coupon_change = {"applies_to": {"products": [shop.cat["products"]["basic"]["id"]]}}
    data = await shop.customer(
        coupons=[coupon(**coupon_change)], promotion_codes=[code(**code_change)]
    )
    response = await preview(
        client, data["subscription"], shop.prices["pro_month"]["id"], code=typed
    )
    assert response.status_code == 400
    alert = html(response).css_first("#preview [role=alert]")
    assert alert is not None and message in alert.text()
    assert html(response).maybe("#preview form") is None  # nothing to confirm


async def test_a_good_code_discounts_the_preview_and_the_invoice(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(
        update={"proration_behavior": "always_invoice"},
        coupons=[coupon()],
        promotion_codes=[code()],
    )
    sub = data["subscription"]
    shown = await preview(client, sub, shop.prices["pro_month"]["id"], code="save20")
    today, following = amounts(shown)
    assert today == 1333 - 267
    assert following == 3000 - 600
    await confirm(client, shown)
    [invoice] = await new_invoices(db, sub["id"])
    assert (invoice["discount"], invoice["amount_due"]) == (267, 1066)
    home = html(await client.get("/p/"))
    assert "24.00" in home.css_first("#subscriptions").text()  # 30.00 - 20 %
    # The code was redeemed once.
    again = await preview(client, sub, shop.prices["basic_month"]["id"], code="SAVE20")
    assert again.status_code == 200


async def test_a_code_for_one_customer_is_unknown_to_others(
    shop: Shop, client: AsyncClient
) -> None:
    data = await shop.customer(coupons=[coupon()], promotion_codes=[code()])
    other = await shop.customer(
        coupons=[coupon()], promotion_codes=[code("MINE", customer=data["customer"]["id"])]
    )
    response = await preview(
        client, other["subscription"], shop.prices["pro_month"]["id"], code="MINE"
    )
    assert "There is no promotion code MINE" in response.text
