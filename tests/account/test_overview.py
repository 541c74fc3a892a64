"""The customer's home page: payment method, notices, invoice history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from httpx import AsyncClient

from portal import clock
from portal.db import Database
from tests import factories
from tests.conftest import html


async def overview_with_card(
    client: AsyncClient, db: Database, exp_month: int, exp_year: int
) -> str:
    data = await factories.customer_with_plan(db)
    cus = data["customer"]["id"]
    card = factories.card(
        cus, card={"brand": "visa", "last4": "1111", "exp_month": exp_month, "exp_year": exp_year}
    )
    await factories.seed(
        db,
        payment_methods=[card],
        customers=[
            {**data["customer"], "invoice_settings": {"default_payment_method": card["id"]}}
        ],
    )
    response = await client.get(f"/dev/customers/{cus}")
    assert response.status_code == 200
    return str(html(response).css_first("#payment-method").text(separator=" ", strip=True))


class TestPaymentMethod:
    @pytest.fixture(autouse=True)
    def _june_2031(self) -> None:
        clock.freeze(int(datetime(2031, 6, 15, tzinfo=UTC).timestamp()))

    @pytest.mark.parametrize(
        ("month", "year", "shown"),
        [
            (5, 2031, "Expired 05/2031"),
            (12, 2030, "Expired 12/2030"),
            (6, 2031, "Expires 06/2031"),  # valid to the end of its month
            (1, 2032, "Expires 01/2032"),
        ],
    )
    async def test_an_expired_card_says_so(
        self, client: AsyncClient, db: Database, month: int, year: int, shown: str
    ) -> None:
        text = await overview_with_card(client, db, month, year)
        assert shown in text
        expired = shown.startswith("Expired")
        assert ("Expires" in text) is not expired

    async def test_the_mark_is_visible_and_translated(
        self, client: AsyncClient, db: Database
    ) -> None:
        data = await factories.customer_with_plan(db)
        cus = data["customer"]["id"]
        card = factories.card(
            cus, card={"brand": "visa", "last4": "1111", "exp_month": 1, "exp_year": 2030}
        )
        await factories.seed(
            db,
            payment_methods=[card],
            customers=[
                {**data["customer"], "invoice_settings": {"default_payment_method": card["id"]}}
            ],
        )
        page = html(await client.get(f"/dev/customers/{cus}", params={"locale": "fr"}))
        mark = page.css_first("#payment-method .card-expired")
        assert mark is not None
        assert "Expirée" in mark.text() and "01/2030" in mark.text()
