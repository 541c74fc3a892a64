"""Paying what is due: an open invoice paid now, declines in the customer's words, one charge
for a double submit, and the mails about payments."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from portal import clock
from portal.billing import collection, renewals
from portal.billing.collection import Mailer
from portal.db import Database
from portal.payments.errors import PaymentDeclined, ProcessorUnavailable
from portal.payments.processor import TestProcessor
from portal.tables import events, invoices, outbox_emails, processor_charges, subscriptions
from tests import factories
from tests.cancellation.conftest import hidden_fields
from tests.conftest import BASE_URL, html
from tests.payment_methods.test_adding import come_back, enter, open_entry
from tests.payment_methods.test_methods import ENABLED
from tests.shop import DAY, Shop


async def past_due(shop: Shop, db: Database, *cards: dict[str, Any]) -> dict[str, Any]:
    """A past-due customer whose last renewal (19.00) is open, with more `cards`."""
    data = await shop.customer(
        more_features=ENABLED, subscription={"status": "past_due"}, invoices=0
    )
    customer_id, sub_id = data["customer"]["id"], data["subscription"]["id"]
    due = factories.invoice(
        customer_id,
        1900,
        subscription_id=sub_id,
        status="open",
        amount_paid=0,
        status_transitions={},
        attempt_count=1,
        created=clock.timestamp() - DAY,
    )
    extra = [
        factories.card(customer_id, card={"brand": "visa", "exp_month": 1, "exp_year": 2040, **c})
        for c in cards
    ]
    await factories.seed(db, invoices=[due], payment_methods=extra)
    return {**data, "due": due, "cards": extra}


def pay_form(page: Any) -> Any:
    return html(page).css_first("form[action$='/pay']")


async def pay(client: AsyncClient, invoice_id: str, method_id: str) -> Any:
    page = await client.get(f"/p/invoices/{invoice_id}/pay")
    form = pay_form(page)
    return await client.post(
        str(form.attributes["action"]), data={**hidden_fields(form), "payment_method": method_id}
    )


async def row(db: Database, table: Any, row_id: str) -> dict[str, Any]:
    found = await db.fetch_one(select(table).where(table.c.id == row_id))
    assert found is not None
    return found


async def test_paying_the_open_invoice_brings_the_subscription_back(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await past_due(shop, db)
    invoice_id = data["due"]["id"]
    overview = html(await client.get("/p/"))
    link = overview.css_first("#invoices a.pay-link")
    page = await client.get(str(link.attributes["href"]))
    assert html(page).css_first(".amount-due").attributes["data-amount"] == "1900"
    assert "Pay €19.00" in page.text
    done = await pay(client, invoice_id, data["card"]["id"])
    assert done.status_code == 303 and done.headers["location"] == "/p/"
    paid = await row(db, invoices, invoice_id)
    assert paid["status"] == "paid" and paid["amount_paid"] == 1900
    assert (await row(db, subscriptions, data["subscription"]["id"]))["status"] == "active"
    types = [e["type"] for e in await db.fetch_all(select(events))]
    assert "invoice.paid" in types and "customer.subscription.updated" in types
    [receipt] = await db.fetch_all(
        select(outbox_emails).where(outbox_emails.c.template == "payment_receipt")
    )
    assert receipt["to_address"] == data["customer"]["email"]
    assert "€19.00" in receipt["body_text"] and "Visa ending in 4242" in receipt["body_text"]
    overview = html(await client.get("/p/"))
    assert "Thank you: your payment went through." in overview.text()
    assert overview.maybe("#invoices a.pay-link") is None
    again = await client.get(f"/p/invoices/{invoice_id}/pay")
    assert again.status_code == 409


async def test_a_decline_says_why_and_changes_nothing_else(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await past_due(shop, db, {"last4": "9995"})
    invoice_id = data["due"]["id"]
    refused = await pay(client, invoice_id, data["cards"][0]["id"])
    assert refused.status_code == 402
    assert "Your card has insufficient funds." in refused.text
    still = await row(db, invoices, invoice_id)
    assert still["status"] == "open" and still["charge_key"] is None
    assert (await row(db, subscriptions, data["subscription"]["id"]))["status"] == "past_due"
    # The page keeps the card chosen, to try another one.
    assert (
        html(refused).css_first("input[name=payment_method]:checked").attributes["value"]
        == (data["cards"][0]["id"])
    )
    assert (await pay(client, invoice_id, data["card"]["id"])).status_code == 303


async def test_a_double_submit_charges_once(shop: Shop, client: AsyncClient, db: Database) -> None:
    data = await past_due(shop, db)
    invoice_id = data["due"]["id"]
    page = await client.get(f"/p/invoices/{invoice_id}/pay")
    form = pay_form(page)
    fields = {**hidden_fields(form), "payment_method": data["card"]["id"]}
    answers = await asyncio.gather(
        *(client.post(str(form.attributes["action"]), data=fields) for _ in range(3))
    )
    assert {a.status_code for a in answers} <= {303, 409}
    assert len(await db.fetch_all(select(processor_charges))) == 1
    paid_events = await db.fetch_all(select(events).where(events.c.type == "invoice.paid"))
    assert len(paid_events) == 1


async def test_a_card_added_after_a_failed_renewal_is_offered_for_the_open_invoice(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await past_due(shop, db)
    back = await come_back(
        client, await enter(client, await open_entry(client), "4242424242424242")
    )
    assert back.headers["location"].startswith(f"/p/invoices/{data['due']['id']}/pay?method=pm_")
    page = await client.get(back.headers["location"])
    assert "You can pay your open invoice with it now." in page.text
    chosen = html(page).css_first("input[name=payment_method]:checked").attributes["value"]
    assert chosen == back.headers["location"].split("method=")[1] != data["card"]["id"]


async def test_a_failed_renewal_mails_the_way_to_sign_in(shop: Shop, db: Database) -> None:
    data = await shop.customer(card_last4="0002", more_features=ENABLED)
    clock.advance(20 * DAY)
    await renewals.run_due(db, TestProcessor(db), mailer=Mailer(BASE_URL, test_mode=True))
    [failed] = await db.fetch_all(
        select(outbox_emails).where(outbox_emails.c.template == "payment_failed")
    )
    link = data["configuration"]["login_page"]["link_id"]
    assert "your card was declined" in failed["body_text"]
    assert f"{BASE_URL}/p/login/{link}" in failed["body_text"]
    assert failed["to_address"] == data["customer"]["email"]


class LosesAnswers(TestProcessor):
    """Takes the charge, then the answer is lost on the way back (a timeout), `times` times."""

    def __init__(self, db: Database, times: int = 1) -> None:
        super().__init__(db)
        self.times = times

    async def charge(
        self,
        payment_method: Any,
        amount: int,
        currency: str,
        idempotency_key: str,
        return_url: str | None = None,
    ) -> Any:
        result = await super().charge(payment_method, amount, currency, idempotency_key, return_url)
        if self.times:
            self.times -= 1
            raise ProcessorUnavailable()
        return result


async def test_a_timeout_leaves_the_invoice_open_and_the_retry_charges_once(
    shop: Shop, db: Database
) -> None:
    data = await past_due(shop, db)
    customer_id, invoice_id = data["customer"]["id"], data["due"]["id"]
    processor = LosesAnswers(db)
    with pytest.raises(PaymentDeclined) as declined:
        await collection.pay_now(db, processor, customer_id, invoice_id, data["card"]["id"])
    assert declined.value.decline_code == "processor_unavailable"
    waiting = await row(db, invoices, invoice_id)
    assert waiting["status"] == "open" and waiting["charge_key"] is not None
    # The customer tries again: the same key, the charge already taken is the answer.
    await collection.pay_now(db, processor, customer_id, invoice_id, data["card"]["id"])
    assert (await row(db, invoices, invoice_id))["status"] == "paid"
    assert len(await db.fetch_all(select(processor_charges))) == 1


async def test_the_clock_asks_again_after_a_timeout_and_charges_once(
    shop: Shop, db: Database
) -> None:
    data = await shop.customer()
    processor = LosesAnswers(db)
    clock.advance(20 * DAY)
    await renewals.run_due(db, processor)
    [renewal] = await db.fetch_all(
        select(invoices).where(invoices.c.billing_reason == "subscription_cycle")
    )
    assert renewal["status"] == "open" and renewal["charge_key"] is not None
    clock.advance(collection.CLAIM_SECONDS)
    await renewals.run_due(db, processor)
    assert (await row(db, invoices, renewal["id"]))["status"] == "paid"
    assert len(await db.fetch_all(select(processor_charges))) == 1
    assert (await row(db, subscriptions, data["subscription"]["id"]))["status"] == "active"


class TestAuthentication:
    """A card that needs its owner (4000 0027 6000 3184): on the page, the customer goes to the
    processor's step and back; off-session, the invoice waits with "Action required"."""

    async def test_the_customer_confirms_at_the_processor_and_comes_back_paid(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await past_due(shop, db, {"last4": "3184"})
        invoice_id = data["due"]["id"]
        sent = await pay(client, invoice_id, data["cards"][0]["id"])
        assert sent.status_code == 303
        step_url = sent.headers["location"].removeprefix(BASE_URL)
        assert step_url.startswith("/test-processor/payments/")
        assert (await row(db, invoices, invoice_id))["status"] == "open"  # not yet
        step = await client.get(step_url)
        assert "Your bank asks you to confirm a payment of €19.00." in step.text
        form = html(step).css_first("form[method=post]")
        back = await client.post(
            str(form.attributes["action"]), data={**hidden_fields(form), "outcome": "complete"}
        )
        assert back.headers["location"].startswith(
            f"{BASE_URL}/p/invoices/{invoice_id}/paid?payment_intent="
        )
        home = await client.get(back.headers["location"].removeprefix(BASE_URL))
        assert home.status_code == 303 and home.headers["location"] == "/p/"
        assert (await row(db, invoices, invoice_id))["status"] == "paid"
        # Coming back twice records nothing more.
        again = await client.get(back.headers["location"].removeprefix(BASE_URL))
        assert again.status_code == 409
        assert len(await db.fetch_all(select(processor_charges))) == 1

    async def test_a_failed_confirmation_says_so_and_leaves_the_invoice_open(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await past_due(shop, db, {"last4": "3184"})
        invoice_id = data["due"]["id"]
        sent = await pay(client, invoice_id, data["cards"][0]["id"])
        step = await client.get(sent.headers["location"].removeprefix(BASE_URL))
        form = html(step).css_first("form[method=post]")
        back = await client.post(
            str(form.attributes["action"]), data={**hidden_fields(form), "outcome": "fail"}
        )
        refused = await client.get(back.headers["location"].removeprefix(BASE_URL))
        assert refused.status_code == 402
        assert "The payment was not confirmed with your bank." in refused.text
        assert (await row(db, invoices, invoice_id))["status"] == "open"

    async def test_off_session_the_invoice_waits_with_action_required(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(card_last4="3184", more_features=ENABLED)
        clock.advance(20 * DAY)
        await renewals.run_due(db, TestProcessor(db), mailer=Mailer(BASE_URL, test_mode=True))
        [renewal] = await db.fetch_all(
            select(invoices).where(invoices.c.billing_reason == "subscription_cycle")
        )
        assert renewal["status"] == "open"
        assert renewal["last_decline_code"] == "authentication_required"
        [failed] = await db.fetch_all(
            select(outbox_emails).where(outbox_emails.c.template == "payment_failed")
        )
        assert "your bank asks you to confirm the payment." in failed["body_text"]
        await shop.sign_in_again(data)
        row_ = html(await client.get("/p/")).css_first(
            f"#invoices a.pay-link[href*='{renewal['id']}']"
        )
        assert row_.text() == "Pay"
        assert "Action required" in html(await client.get("/p/")).css_first("#invoices").text()


async def test_the_home_page_offers_to_pay_what_is_due_next_to_the_plan(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await past_due(shop, db)
    action = html(await client.get("/p/")).css_first(".subscription-actions a.button")
    assert action.text() == "Pay €19.00"
    assert action.attributes["href"] == f"/p/invoices/{data['due']['id']}/pay"
