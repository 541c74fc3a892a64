"""The payment-methods page: what pays for what, the default, removing, and what is refused."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import func, select

from portal import clock
from portal.billing import renewals
from portal.db import Database
from portal.payments.processor import TestProcessor
from portal.tables import (
    customers,
    events,
    invoices,
    payment_methods,
    processor_charges,
    subscriptions,
)
from tests import factories
from tests.cancellation.conftest import hidden_fields
from tests.conftest import html
from tests.shop import DAY, Shop

PAGE = "/p/payment-methods/"
ENABLED = {"payment_method_update": {"enabled": True}}


async def with_cards(shop: Shop, db: Database, *cards: dict[str, Any]) -> dict[str, Any]:
    """A signed-in customer with their default card (4242, the newest) plus older `cards`."""
    data = await shop.customer(more_features=ENABLED)
    customer_id = data["customer"]["id"]
    extra = []
    for n, card in enumerate(cards, start=1):
        extra.append(
            factories.card(
                customer_id,
                card={"brand": "mastercard", "exp_month": 6, "exp_year": 2035, **card},
                created=clock.timestamp() - 100 + n,
            )
        )
    if extra:
        await factories.seed(db, payment_methods=extra)
    return {**data, "cards": extra}


async def press(client: AsyncClient, page: Response, action: str) -> Response:
    """Submit the form of the page whose action ends with `action`."""
    form = html(page).css_first(f"form[action$='{action}']")
    return await client.post(str(form.attributes["action"]), data=hidden_fields(form))


async def default_of(db: Database, customer_id: str) -> Any:
    return await db.fetch_val(
        select(customers.c.default_payment_method_id).where(customers.c.id == customer_id)
    )


async def event_types(db: Database) -> list[str]:
    return [r["type"] for r in await db.fetch_all(select(events.c.type))]


class TestList:
    async def test_newest_first_with_default_expiry_and_what_each_pays_for(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        today = clock.now()
        data = await with_cards(
            shop,
            db,
            {"last4": "1111", "exp_month": 1, "exp_year": 2020},
            {"last4": "2222", "exp_month": today.month, "exp_year": today.year},
        )
        page = html(await client.get(PAGE))
        methods = page.css(".method")
        assert [m.attributes["id"] for m in methods] == [
            data["card"]["id"],
            data["cards"][1]["id"],
            data["cards"][0]["id"],
        ]
        assert "Visa ending in 4242" in methods[0].text()
        assert "Mastercard ending in 2222" in methods[1].text()
        assert "Default" in methods[0].text() and "Pays for: Basic" in methods[0].text()
        assert "Expires soon" in methods[1].text()
        assert "Expired 01/2020" in methods[2].text()
        # The default has nothing to choose; the expired card cannot become the default.
        assert methods[0].css_first("form[action$='/default']") is None
        assert methods[1].css_first("form[action$='/default']") is not None
        assert methods[2].css_first("form[action$='/default']") is None
        overview = html(await client.get("/p/"))
        assert overview.css_first("#payment-method a").attributes["href"] == PAGE

    async def test_not_offered_when_the_configuration_says_so(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        await shop.customer()
        refused = await client.get(PAGE)
        assert refused.status_code == 403 and "Contact Tessellate" in refused.text
        assert html(await client.get("/p/")).maybe("#payment-method a") is None


class TestDefault:
    async def test_another_card_becomes_the_default_and_is_charged(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await with_cards(shop, db, {"last4": "5555"})
        customer_id, new = data["customer"]["id"], data["cards"][0]["id"]
        done = await press(client, await client.get(PAGE), f"/{new}/default")
        assert done.status_code == 303
        assert await default_of(db, customer_id) == new
        [event] = await db.fetch_all(select(events).where(events.c.type == "customer.updated"))
        assert event["data"]["invoice_settings"]["default_payment_method"] == new
        assert (
            event["previous_attributes"]["invoice_settings"]["default_payment_method"]
            == (data["card"]["id"])
        )
        assert (
            "Mastercard ending in 5555"
            in html(await client.get("/p/")).css_first("#payment-method").text()
        )
        clock.advance(20 * DAY)
        await renewals.run_due(db, TestProcessor(db))
        [charge] = await db.fetch_all(select(processor_charges))
        assert charge["payment_method_id"] == new

    async def test_an_expired_card_cannot_become_the_default(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await with_cards(shop, db, {"last4": "1111", "exp_month": 1, "exp_year": 2020})
        page = html(await client.get(PAGE))
        token = str(page.css_first("[name=csrftoken]").attributes["value"])
        refused = await client.post(
            f"{PAGE}{data['cards'][0]['id']}/default", data={"csrftoken": token}
        )
        assert refused.status_code == 400 and "An expired card cannot be charged" in refused.text
        assert await default_of(db, data["customer"]["id"]) == data["card"]["id"]


class TestRemove:
    async def test_removing_the_default_hands_over_to_the_newest_usable_card(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await with_cards(
            shop,
            db,
            {"last4": "5555"},
            {"last4": "1111", "exp_month": 1, "exp_year": 2020},
        )
        customer_id, old = data["customer"]["id"], data["card"]["id"]
        done = await press(client, await client.get(PAGE), f"/{old}/remove")
        assert done.status_code == 303
        detached = await db.fetch_one(select(payment_methods).where(payment_methods.c.id == old))
        assert detached is not None and detached["customer_id"] is None  # kept for its invoices
        assert await default_of(db, customer_id) == data["cards"][0]["id"]  # not the expired one
        assert await event_types(db) == ["payment_method.detached", "customer.updated"]
        page = html(await client.get(PAGE))
        assert [m.attributes["id"] for m in page.css(".method")] == [
            data["cards"][1]["id"],
            data["cards"][0]["id"],
        ]

    async def test_the_last_usable_card_stays_while_a_subscription_charges(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await with_cards(shop, db, {"last4": "1111", "exp_month": 1, "exp_year": 2020})
        page = await client.get(PAGE)
        only = html(page).css_first(f"[id='{data['card']['id']}']")
        assert only.css_first("form[action$='/remove']") is None
        assert "add another one before removing it" in only.text()
        token = str(html(page).css_first("[name=csrftoken]").attributes["value"])
        refused = await client.post(f"{PAGE}{data['card']['id']}/remove", data={"csrftoken": token})
        assert refused.status_code == 409 and "This is your only payment method" in refused.text
        # The expired one can go.
        assert (await press(client, page, f"/{data['cards'][0]['id']}/remove")).status_code == 303
        count = select(func.count()).select_from(payment_methods)
        assert await db.fetch_val(count.where(payment_methods.c.customer_id.is_not(None))) == 1

    async def test_a_subscription_carrying_the_card_falls_back_to_the_default(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await with_cards(shop, db, {"last4": "5555"})
        own = data["cards"][0]["id"]
        sub_id = data["subscription"]["id"]
        await db.execute(
            subscriptions.update()
            .where(subscriptions.c.id == sub_id)
            .values(default_payment_method_id=own)
        )
        page = html(await client.get(PAGE))
        assert "Pays for: Basic" in page.css_first(f"[id='{own}']").text()
        await press(client, await client.get(PAGE), f"/{own}/remove")
        row = await db.fetch_one(select(subscriptions).where(subscriptions.c.id == sub_id))
        assert row is not None and row["default_payment_method_id"] is None
        assert "customer.subscription.updated" in await event_types(db)


async def test_an_expired_default_is_never_sent_to_the_processor(shop: Shop, db: Database) -> None:
    data = await shop.customer()
    await db.execute(
        payment_methods.update()
        .where(payment_methods.c.id == data["card"]["id"])
        .values(exp_year=2020, exp_month=1)
    )
    clock.advance(20 * DAY)
    await renewals.run_due(db, TestProcessor(db))
    [renewal] = await db.fetch_all(
        select(invoices).where(invoices.c.billing_reason == "subscription_cycle")
    )
    assert renewal["status"] == "open" and renewal["attempt_count"] == 1
    assert await db.fetch_all(select(processor_charges)) == []


async def test_a_default_of_a_type_the_portal_does_not_handle_is_left_alone(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(more_features=ENABLED)
    customer_id = data["customer"]["id"]
    await db.execute(
        payment_methods.insert().values(
            id="pm_sepa",
            customer_id=customer_id,
            type="sepa_debit",
            livemode=False,
            created=clock.timestamp() + 1,
        )
    )
    await db.execute(
        customers.update()
        .where(customers.c.id == customer_id)
        .values(default_payment_method_id="pm_sepa")
    )
    assert html(await client.get("/p/")).maybe("#payment-method") is None
    page = html(await client.get(PAGE))
    assert [m.attributes["id"] for m in page.css(".method")] == [data["card"]["id"]]


async def test_a_subscription_with_its_own_card_can_be_given_another(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await with_cards(shop, db, {"last4": "5555"}, {"last4": "1111", "exp_year": 2020})
    sub_id, own, other = data["subscription"]["id"], data["cards"][0]["id"], data["card"]["id"]
    await db.execute(
        subscriptions.update()
        .where(subscriptions.c.id == sub_id)
        .values(default_payment_method_id=own)
    )
    page = html(await client.get(PAGE))
    form = page.css_first(f"form[action$='/subscriptions/{sub_id}']")
    offered = [str(i.attributes["value"]) for i in form.css("input[name=payment_method]")]
    assert offered == [other, own]  # the expired card is not offered
    done = await client.post(
        str(form.attributes["action"]), data={**hidden_fields(form), "payment_method": other}
    )
    assert done.status_code == 303
    row = await db.fetch_one(select(subscriptions).where(subscriptions.c.id == sub_id))
    assert row is not None and row["default_payment_method_id"] == other
    [event] = await db.fetch_all(
        select(events).where(events.c.type == "customer.subscription.updated")
    )
    assert event["previous_attributes"] == {"default_payment_method_id": own}
    refused = await client.post(
        str(form.attributes["action"]),
        data={**hidden_fields(form), "payment_method": data["cards"][1]["id"]},
    )
    assert refused.status_code == 400 and "An expired card cannot be charged" in refused.text
