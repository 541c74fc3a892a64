"""Adding a card through the test processor's hosted card entry: the portal never sees the
number, a card is saved once, and each test number behaves as documented."""

from __future__ import annotations

import asyncio
from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import select

from portal.db import Database
from portal.tables import customers, events, payment_methods, processor_setups
from tests.cancellation.conftest import hidden_fields
from tests.conftest import BASE_URL, html
from tests.payment_methods.test_methods import ENABLED, PAGE
from tests.shop import Shop


async def open_entry(client: AsyncClient) -> Response:
    """Press "Add a card" and follow the portal to the processor's page."""
    page = html(await client.get(PAGE))
    form = page.css_first("form[action$='/add']")
    sent = await client.post(str(form.attributes["action"]), data=hidden_fields(form))
    assert sent.status_code == 303
    entry_url = sent.headers["location"]
    assert entry_url.startswith(f"{BASE_URL}/test-processor/setup/seti_")
    entry = await client.get(entry_url.removeprefix(BASE_URL))
    assert entry.status_code == 200
    return entry


async def enter(
    client: AsyncClient, entry: Response, number: str, expiry: str = "12/34", cvc: str = "123"
) -> Response:
    form = html(entry).css_first("form[action$='/']:not([action$='/cancel'])")
    return await client.post(
        str(form.attributes["action"]),
        data={**hidden_fields(form), "number": number, "expiry": expiry, "cvc": cvc},
    )


async def come_back(client: AsyncClient, response: Response) -> Response:
    """Follow the processor's redirect back to the portal."""
    assert response.status_code == 303, response.text
    back = await client.get(response.headers["location"].removeprefix(BASE_URL))
    assert back.status_code == 303
    return back


async def saved(db: Database, customer_id: str) -> list[dict[str, Any]]:
    return await db.fetch_all(
        select(payment_methods)
        .where(payment_methods.c.customer_id == customer_id)
        .order_by(payment_methods.c.created)
    )


async def test_a_card_is_saved_without_its_number_and_only_once(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(more_features=ENABLED)
    customer_id = data["customer"]["id"]
    entry = await open_entry(client)
    assert "4242 4242 4242 4242" in entry.text  # the page says which numbers to use
    back = await come_back(client, await enter(client, entry, "5555 5555 5555 4444"))
    assert back.headers["location"] == PAGE
    listing = html(await client.get(PAGE))
    assert "Your card has been saved." in listing.text()
    assert "Mastercard ending in 4444" in listing.text()
    _, card = await saved(db, customer_id)
    assert (card["brand"], card["last4"], card["exp_month"], card["exp_year"]) == (
        "mastercard",
        "4444",
        12,
        2034,
    )
    # No number anywhere: not on the method, not in the processor's memory.
    for row in [card, *await db.fetch_all(select(processor_setups))]:
        assert "5555555555554444" not in str(row)
    [attached] = await db.fetch_all(
        select(events).where(events.c.type == "payment_method.attached")
    )
    assert attached["data"]["id"] == card["id"]
    # The customer's default (4242) is still usable: it stays the default.
    default = await db.fetch_val(
        select(customers.c.default_payment_method_id).where(customers.c.id == customer_id)
    )
    assert default == data["card"]["id"]
    # Coming back again with the same setup saves nothing more; the same card again neither.
    again = await client.get(f"/p/payment-methods/added?setup={card['processor_token'][4:]}")
    assert again.status_code == 303 and len(await saved(db, customer_id)) == 2
    back = await come_back(
        client, await enter(client, await open_entry(client), "5555555555554444")
    )
    assert "This card was already saved." in html(await client.get(PAGE)).text()
    assert len(await saved(db, customer_id)) == 2


async def test_the_first_usable_card_becomes_the_default(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(more_features=ENABLED)
    customer_id = data["customer"]["id"]
    await db.execute(
        payment_methods.update()
        .where(payment_methods.c.id == data["card"]["id"])
        .values(exp_year=2020)
    )
    await come_back(client, await enter(client, await open_entry(client), "4242424242424242"))
    _, card = await saved(db, customer_id)
    default = await db.fetch_val(
        select(customers.c.default_payment_method_id).where(customers.c.id == customer_id)
    )
    assert default == card["id"]


async def test_refused_cards_and_bad_entries_say_why_and_save_nothing(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(more_features=ENABLED)
    entry = await open_entry(client)
    cases = [
        ("4000 0000 0000 0002", "12/34", "123", "Your card was declined."),
        ("4000 0000 0000 0069", "12/34", "123", "Your card has expired."),
        ("4242 4242 4242 4241", "12/34", "123", "This card number is not valid."),
        ("4242 4242 4242 4242", "13/34", "123", "Enter the expiry date as MM/YY."),
        ("4242 4242 4242 4242", "01/20", "123", "This card has expired."),
        ("4242 4242 4242 4242", "12/34", "12", "Check the security code"),
    ]
    for number, expiry, cvc, message in cases:
        refused = await enter(client, entry, number, expiry, cvc)
        assert refused.status_code == 400 and message in refused.text, message
    assert len(await saved(db, data["customer"]["id"])) == 1
    # Cancelling goes back to the portal, which says nothing was added.
    form = html(entry).css_first("form[action$='/cancel']")
    back = await come_back(
        client, await client.post(str(form.attributes["action"]), data=hidden_fields(form))
    )
    assert "No card was added." in html(await client.get(back.headers["location"])).text()


async def test_a_card_that_needs_authentication_is_saved_once_it_is_given(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(more_features=ENABLED)
    entry = await open_entry(client)
    asked = await enter(client, entry, "4000 0025 0000 3155")
    assert asked.status_code == 200 and "Your bank asks you to confirm" in asked.text
    form = html(asked).css_first("form[action$='/authenticate']")
    failed = await client.post(
        str(form.attributes["action"]), data={**hidden_fields(form), "outcome": "fail"}
    )
    assert failed.status_code == 400 and "The authentication failed" in failed.text
    asked = await enter(client, entry, "4000 0025 0000 3155")
    form = html(asked).css_first("form[action$='/authenticate']")
    done = await client.post(
        str(form.attributes["action"]), data={**hidden_fields(form), "outcome": "complete"}
    )
    await come_back(client, done)
    assert [c["last4"] for c in await saved(db, data["customer"]["id"])] == ["4242", "3155"]


async def test_another_customers_setup_is_not_found(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    await shop.customer(more_features=ENABLED)
    entry = await open_entry(client)
    done = await enter(client, entry, "4242424242424242")
    setup_return = done.headers["location"].removeprefix(BASE_URL)
    other = await shop.customer(more_features=ENABLED)  # signs in as someone else
    assert (await client.get(setup_return)).status_code == 404
    assert len(await saved(db, other["customer"]["id"])) == 1


async def test_two_returns_at_once_save_the_card_once(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(more_features=ENABLED)
    done = await enter(client, await open_entry(client), "5555555555554444")
    back = done.headers["location"].removeprefix(BASE_URL)
    answers = await asyncio.gather(*(client.get(back) for _ in range(3)))
    assert {a.status_code for a in answers} == {303}
    assert len(await saved(db, data["customer"]["id"])) == 2  # the imported card and this one
