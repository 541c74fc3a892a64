"""What an integration reads back through the API: a customer, their subscriptions and
invoices, and the events the portal wrote, in Stripe's shapes and by cursor."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from portal import clock
from portal.billing import renewals
from portal.db import Database
from portal.payments.processor import TestProcessor
from tests import factories
from tests.api.conftest import MakeClient
from tests.auth.helpers import post_form
from tests.shop import DAY, Shop


async def test_a_customer_with_their_subscriptions_and_invoices(
    shop: Shop, make_stripe: MakeClient
) -> None:
    data = await shop.customer(plan="pro_month", quantity=3, invoices=24)
    client, _ = await make_stripe()
    customer_id = data["customer"]["id"]
    customer: Any = await client.v1.customers.retrieve_async(customer_id)
    assert customer.object == "customer" and customer.email == data["customer"]["email"]
    assert customer.invoice_settings.default_payment_method == data["card"]["id"]

    by_customer: Any = {"customer": customer_id}
    subscriptions: Any = await client.v1.subscriptions.list_async(by_customer)
    [subscription] = subscriptions.data
    assert subscription.id == data["subscription"]["id"] and subscription.status == "active"
    [item] = subscription["items"].data
    assert item.quantity == 3 and item.price.id == shop.prices["pro_month"]["id"]
    assert item.price.recurring.interval == "month"

    seen: list[str] = []
    params: Any = {"customer": customer_id, "limit": 10}
    while True:
        page: Any = await client.v1.invoices.list_async(params)
        seen += [invoice.number for invoice in page.data]
        if not page.has_more:
            break
        params = {**params, "starting_after": page.data[-1].id}
    assert seen == [i["number"] for i in data["invoices"]]  # newest first, each once
    first: Any = await client.v1.invoices.list_async({"customer": customer_id, "limit": 1})
    invoice = first.data[0]
    assert invoice.object == "invoice" and invoice.status == "paid"
    assert invoice.customer_email == data["customer"]["email"]  # as finalized
    assert invoice.lines.data[0].amount == invoice.subtotal

    with pytest.raises(stripe.InvalidRequestError) as missing:
        await client.v1.customers.retrieve_async("cus_nobody")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    live, _ = await make_stripe(livemode=True)
    with pytest.raises(stripe.InvalidRequestError):
        await live.v1.customers.retrieve_async(customer_id)
    assert (await live.v1.invoices.list_async(by_customer)).data == []


async def test_events_by_type_and_time(shop: Shop, make_stripe: MakeClient) -> None:
    data = await shop.customer()
    client, _ = await make_stripe()
    start = clock.timestamp()
    for locale in ("en", "fr", "de"):
        params: Any = {"customer": data["customer"]["id"], "locale": locale}
        await client.v1.billing_portal.sessions.create_async(params)
        clock.advance(60)
    created: Any = {"type": "billing_portal.session.created", "limit": 2}
    page: Any = await client.v1.events.list_async(created)
    assert page.has_more and [e.data.object.locale for e in page.data] == ["de", "fr"]
    assert page.data[0].object == "event" and page.data[0].api_version
    rest: Any = {**created, "starting_after": page.data[-1].id}
    assert [e.data.object.locale for e in (await client.v1.events.list_async(rest)).data] == ["en"]
    recent: Any = {"type": "billing_portal.*", "created": {"gte": start + 60}}
    assert len((await client.v1.events.list_async(recent)).data) == 2
    wrong: Any = {"created": {"since": 1}}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.events.list_async(wrong)
    assert refused.value.param == "created[since]"


async def test_an_event_carries_its_whole_object_as_the_api_reads_it(
    shop: Shop, make_stripe: MakeClient, db: Database
) -> None:
    """A receiver reading `data.object` gets the whole customer, subscription, invoice or
    card as it was after the change, as the API answers for it: not only what changed."""
    data = await shop.customer(
        plan="pro_month", more_features={"payment_method_update": {"enabled": True}}
    )
    customer_id, first_card = data["customer"]["id"], data["card"]["id"]
    second = factories.card(customer_id)
    await factories.seed(db, payment_methods=[second])
    page = "/p/payment-methods/"
    await post_form(shop.client, page, f"{page}{second['id']}/default")  # customer.updated
    await post_form(shop.client, page, f"{page}{first_card}/remove")  # payment_method.detached
    clock.advance(21 * DAY)  # the renewal: invoice.created, .paid, subscription.updated
    assert await renewals.run_due(db, TestProcessor(db)) == 1

    client, _ = await make_stripe()
    written: Any = await client.v1.events.list_async({"limit": 100})
    kinds = {
        "customer.updated": "customer",
        "customer.subscription.updated": "subscription",
        "payment_method.detached": "payment_method",
        "invoice.created": "invoice",
        "invoice.paid": "invoice",
    }
    assert sorted(e.type for e in written.data) == sorted(kinds)  # once each
    latest: dict[str, Any] = {}
    for event in written.data:
        assert event.data.object.object == kinds[event.type]
        latest[event.type] = event.data.object.to_dict()

    by_customer: Any = {"customer": customer_id}
    customer: Any = await client.v1.customers.retrieve_async(customer_id)
    assert latest["customer.updated"] == customer.to_dict()
    assert customer.invoice_settings.default_payment_method == second["id"]
    [subscription] = (await client.v1.subscriptions.list_async(by_customer)).data
    assert latest["customer.subscription.updated"] == subscription.to_dict()
    one: Any = {**by_customer, "limit": 1}
    newest: Any = (await client.v1.invoices.list_async(one)).data[0]
    assert latest["invoice.paid"] == newest.to_dict() and newest.status == "paid"
    assert latest["invoice.created"]["id"] == newest.id
    detached = latest["payment_method.detached"]
    assert detached["id"] == first_card and detached["customer"] is None
    assert detached["card"]["last4"] == data["card"]["card"]["last4"]
