"""The billing-details page: what the configuration allows, saving, problems next to their
fields with nothing saved, events, tax IDs, and old invoices keeping their details."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import select, update

from portal import clock
from portal.billing import renewals
from portal.db import Database
from portal.payments.processor import TestProcessor
from portal.tables import customers, events, invoices, portal_sessions, tax_ids
from tests.cancellation.conftest import hidden_fields
from tests.conftest import html
from tests.shop import DAY, Shop

PAGE = "/p/billing-details/"
EVERYTHING = ["name", "email", "address", "phone", "shipping", "tax_id"]
ADDRESS = {
    "address_country": "DE",
    "address_line1": "Friedrichstraße 43",
    "address_line2": "",
    "address_postal_code": "10117",
    "address_city": "Berlin",
}


async def customer_with(shop: Shop, allowed: list[str] | None = None) -> dict[str, Any]:
    return await shop.customer(
        more_features={
            "customer_update": {"enabled": True, "allowed_updates": allowed or EVERYTHING}
        }
    )


async def save(client: AsyncClient, **values: str) -> Response:
    """Submit the details form as shown, with `values` typed over it."""
    page = await client.get(PAGE)
    form = html(page).css_first("#details-form")
    shown = {
        str(node.attributes["name"]): node.attributes.get("value") or ""
        for node in form.css("input")
        if node.attributes.get("name")
    }
    for select_node in form.css("select"):
        chosen = select_node.css_first("option[selected]")
        shown[str(select_node.attributes["name"])] = (
            chosen.attributes.get("value") or "" if chosen else ""
        )
    return await client.post(PAGE, data={**shown, **hidden_fields(form), **values})


async def stored(db: Database, customer_id: str) -> Any:
    return await db.fetch_one(select(customers).where(customers.c.id == customer_id))


async def event_rows(db: Database, type_: str) -> list[Any]:
    return await db.fetch_all(select(events).where(events.c.type == type_))


class TestSaving:
    async def test_address_phone_and_name_are_saved_with_one_event(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await customer_with(shop)
        response = await save(client, name="Anna Schmidt", phone="030 901820", **ADDRESS)
        assert response.status_code == 303, response.text
        customer = await stored(db, data["customer"]["id"])
        assert customer["name"] == "Anna Schmidt"
        assert customer["phone"] == "+4930901820"  # E.164, read in the address's country
        assert customer["address"] == {
            "line1": "Friedrichstraße 43",
            "line2": None,
            "city": "Berlin",
            "state": None,
            "postal_code": "10117",
            "country": "DE",
        }
        [event] = await event_rows(db, "customer.updated")
        assert set(event["previous_attributes"]) == {"name", "phone", "address"}
        assert event["data"]["address"]["city"] == "Berlin"
        home = html(await client.get("/p/"))
        shown = home.css_first("#billing-details").text()
        assert "Friedrichstraße 43" in shown and "10117 Berlin" in shown
        assert "030 901820" in shown  # national format in the customer's country

    async def test_a_problem_names_its_field_and_nothing_is_saved(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await customer_with(shop)
        before = await stored(db, data["customer"]["id"])
        response = await save(
            client, name="Anna", phone="12", **{**ADDRESS, "address_postal_code": "1011"}
        )
        assert response.status_code == 400
        page = html(response)
        assert page.css_first("#address_postal_code").attributes["aria-invalid"] == "true"
        assert "It looks like" in page.css_first("#address_postal_code-problem").text()
        assert page.maybe("#phone-problem") is not None
        assert page.css_first("#name").attributes["value"] == "Anna"  # what was typed stays
        assert await stored(db, data["customer"]["id"]) == before
        assert await event_rows(db, "customer.updated") == []

    async def test_an_htmx_save_swaps_the_form_or_loads_the_home_page(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        await customer_with(shop)
        page = await client.get(PAGE)
        form = html(page).css_first("#details-form")
        headers = {"HX-Request": "true", "HX-Target": "details-form"}
        values = {**hidden_fields(form), **ADDRESS, "address_postal_code": "x"}
        response = await client.post(PAGE, data=values, headers=headers)
        assert response.status_code == 400
        assert response.text.lstrip().startswith("<form")
        response = await client.post(PAGE, data={**values, **ADDRESS}, headers=headers)
        assert response.headers["hx-redirect"] == "/p/"

    async def test_the_country_chooses_the_address_fields_and_their_order(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        await customer_with(shop)
        for country, names in {
            "US": ["line1", "line2", "city", "state", "postal_code"],
            "DE": ["line1", "line2", "postal_code", "city"],
            "JP": ["line1", "line2", "state", "postal_code"],
        }.items():
            response = await client.get(
                f"{PAGE}address",
                params={"prefix": "address", "address_country": country, "address_line1": "x"},
                headers={"HX-Request": "true", "HX-Target": "address-fields"},
            )
            fields = html(response).css("[name^=address_]")
            assert [str(f.attributes["name"]) for f in fields][1:] == [
                f"address_{n}" for n in names
            ]
            assert html(response).css_first("#address_line1").attributes["value"] == "x"

    async def test_without_javascript_the_fields_follow_the_country_without_saving(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await customer_with(shop)
        page = html(await client.get(PAGE))
        form = page.css_first("#details-form")
        response = await client.post(
            PAGE, data={**hidden_fields(form), "address_country": "JP", "refresh": "address"}
        )
        assert response.status_code == 200
        assert html(response).maybe("#address_state option[value='東京都']") is not None
        assert (await stored(db, data["customer"]["id"]))["address"] is None

    async def test_the_same_form_twice_saves_once_and_an_older_page_is_refused(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        await customer_with(shop)
        page = html(await client.get(PAGE)).css_first("#details-form")
        values = {**hidden_fields(page), **ADDRESS, "name": "Anna"}
        assert (await client.post(PAGE, data=values)).status_code == 303
        assert (await client.post(PAGE, data=values)).status_code == 303  # nothing changes
        assert len(await event_rows(db, "customer.updated")) == 1
        stale = await client.post(PAGE, data={**values, "name": "Other"})
        assert stale.status_code == 409
        assert len(await event_rows(db, "customer.updated")) == 1


class TestWhatMayChange:
    async def test_only_the_allowed_details_are_shown_and_saved(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await customer_with(shop, ["phone"])
        page = html(await client.get(PAGE))
        assert [
            str(n.attributes["name"]) for n in page.css("#details-form input:not([type=hidden])")
        ] == ["phone"]
        assert page.maybe("#tax-ids") is None
        response = await save(client, phone="+33 1 23 45 67 89", name="Mallory", **ADDRESS)
        assert response.status_code == 303
        customer = await stored(db, data["customer"]["id"])
        assert customer["phone"] == "+33123456789"
        assert customer["name"] == data["customer"]["name"] and customer["address"] is None
        add = await client.post(
            f"{PAGE}tax-ids",
            data={
                **hidden_fields(page.css_first("#details-form")),
                "tax_id_type": "eu_vat",
                "tax_id_value": "DE136695976",
            },
        )
        assert add.status_code == 403

    async def test_nothing_is_editable_when_the_feature_is_off(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        await shop.customer()
        assert (await client.get(PAGE)).status_code == 200
        assert html(await client.get("/p/")).maybe("a[href='/p/billing-details/']") is None

    async def test_email_stays_in_a_session_signed_in_by_email(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await customer_with(shop)
        await db.execute(update(portal_sessions).values(origin="login_link"))
        page = html(await client.get(PAGE))
        assert page.maybe("#email") is None
        response = await save(client, email="someone.else@example.com")
        assert response.status_code == 403
        assert (await stored(db, data["customer"]["id"]))["email"] == data["customer"]["email"]

    async def test_email_can_change_in_a_session_from_the_business(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await customer_with(shop)
        assert (await save(client, email="New.Name@Example.COM")).status_code == 303
        customer = await stored(db, data["customer"]["id"])
        assert customer["email"] == "New.Name@example.com"
        assert customer["email_normalized"] == "new.name@example.com"
        assert (await save(client, email="not an email")).status_code == 400


class TestTaxIds:
    async def test_add_and_remove_with_their_events(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await customer_with(shop)
        await save(client, **ADDRESS)
        page = html(await client.get(PAGE))
        offered = [str(o.attributes["value"]) for o in page.css("#tax_id_type option")]
        assert offered == ["eu_vat"]  # chosen from the customer's country
        form = hidden_fields(page.css_first("#tax-ids form"))
        for value in ("DE 136 695 976", "DE136695976", "DE 129 273 398"):  # twice the same
            response = await client.post(
                f"{PAGE}tax-ids", data={**form, "tax_id_type": "eu_vat", "tax_id_value": value}
            )
            assert response.status_code == 303
        rows = await db.fetch_all(
            select(tax_ids).where(tax_ids.c.customer_id == data["customer"]["id"])
        )
        assert sorted(r["value"] for r in rows) == ["DE129273398", "DE136695976"]
        assert len(await event_rows(db, "customer.tax_id.created")) == 2
        bad = await client.post(
            f"{PAGE}tax-ids", data={**form, "tax_id_type": "eu_vat", "tax_id_value": "DE136695977"}
        )
        assert bad.status_code == 400
        assert "check digits" in html(bad).css_first("#tax_id_value-problem").text()
        wrong_type = await client.post(
            f"{PAGE}tax-ids", data={**form, "tax_id_type": "us_ein", "tax_id_value": "91-1144442"}
        )
        assert wrong_type.status_code == 400
        remove = await client.post(f"{PAGE}tax-ids/{rows[0]['id']}/remove", data=form)
        assert remove.status_code == 303
        assert len(await event_rows(db, "customer.tax_id.deleted")) == 1
        again = await client.post(f"{PAGE}tax-ids/{rows[0]['id']}/remove", data=form)
        assert again.status_code == 404


async def test_an_old_invoice_keeps_the_details_it_was_finalized_with(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await customer_with(shop)
    await save(client, name="Anna Schmidt", **ADDRESS)
    page = html(await client.get(PAGE))
    form = hidden_fields(page.css_first("#tax-ids form"))
    await client.post(
        f"{PAGE}tax-ids", data={**form, "tax_id_type": "eu_vat", "tax_id_value": "DE136695976"}
    )
    clock.advance(20 * DAY)
    await renewals.run_due(db, TestProcessor(db))
    await shop.sign_in_again(data)
    renewal = await db.fetch_one(
        select(invoices).where(
            invoices.c.customer_id == data["customer"]["id"],
            invoices.c.billing_reason == "subscription_cycle",
        )
    )
    assert renewal is not None
    assert renewal["customer_name"] == "Anna Schmidt"
    assert renewal["customer_tax_ids"] == [{"type": "eu_vat", "value": "DE136695976"}]
    assert renewal["payment_method_id"] == data["card"]["id"]
    await save(
        client,
        name="Anna Weber",
        **{**ADDRESS, "address_city": "Potsdam", "address_postal_code": "14467"},
    )
    tax_id = await db.fetch_val(select(tax_ids.c.id))
    await client.post(f"{PAGE}tax-ids/{tax_id}/remove", data=form)
    detail = html(await client.get(f"/p/invoices/{renewal['id']}/")).css_first("main").text()
    assert "Anna Schmidt" in detail and "10117 Berlin" in detail and "DE136695976" in detail
    assert "Potsdam" not in detail and "Anna Weber" not in detail
    assert "Visa" in detail and "4242" in detail
