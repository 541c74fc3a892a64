"""The invoice history: every invoice by cursor, newest first, filters, one invoice's detail,
and the configuration's switch."""

from __future__ import annotations

import json
from typing import Any

from httpx import AsyncClient
from starlette.applications import Starlette
from starlette.requests import Request

from portal import clock, templating
from portal.auth import sessions
from portal.cli import DEMO_ANCHOR, DEMO_FILE, shift_times
from portal.db import Database
from portal.loader import load, parse
from portal.settings import Settings
from tests import factories
from tests.conftest import Page, html
from tests.shop import DAY, Shop

LIST = "/p/invoices/"


def numbers(text: str) -> list[str]:
    return [a.text() for a in Page(text).css("#invoice-list tbody td:nth-child(2) a")]


async def _seed_due_invoice(db: Database, data: dict[str, Any]) -> dict[str, Any]:
    """An open invoice of 12.34, from yesterday, for the shop customer `data`."""
    due = factories.invoice(
        data["customer"]["id"],
        1234,
        subscription_id=data["subscription"]["id"],
        status="open",
        amount_paid=0,
        status_transitions={},
        created=clock.timestamp() - DAY,
    )
    await factories.seed(db, invoices=[due])
    return due


async def test_every_invoice_once_by_cursor_while_a_new_one_is_written(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(invoices=24)
    first = await client.get(LIST)
    page_one = numbers(first.text)
    assert len(page_one) == 20
    older = html(first).css_first("a.older")
    # A new invoice arrives between the two pages: it does not shift the second one.
    await factories.seed(
        db, invoices=[factories.invoice(data["customer"]["id"], 500, created=clock.timestamp())]
    )
    second = await client.get(str(older.attributes["href"]))
    page_two = numbers(second.text)
    assert len(page_two) == 4 and html(second).maybe("a.older") is None
    everything = page_one + page_two
    assert len(set(everything)) == 24
    expected = sorted((i["number"] for i in data["invoices"]), reverse=True)
    assert sorted(everything, reverse=True) == expected
    # The first page now starts with the new invoice.
    assert len(numbers((await client.get(LIST)).text)) == 20


async def test_filters_and_an_invoice_in_detail(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    data = await shop.customer(invoices=3)
    due = await _seed_due_invoice(db, data)
    assert numbers((await client.get(LIST, params={"status": "open"})).text) == [due["number"]]
    assert len(numbers((await client.get(LIST, params={"status": "paid"})).text)) == 3
    page = html(await client.get(f"{LIST}{due['id']}/"))
    assert page.css_first("h1").text() == f"Invoice {due['number']}"
    assert "€12.34" in page.css_first(".lines tbody").text()
    assert page.css_first("tfoot [data-amount]").attributes["data-amount"] == "1234"


async def test_without_the_invoice_history_only_what_is_due_is_shown(
    shop: Shop, client: AsyncClient
) -> None:
    await shop.customer(more_features={"invoice_history": {"enabled": False}})
    refused = await client.get(LIST)
    assert refused.status_code == 403 and "Contact Tessellate" in refused.text
    assert html(await client.get("/p/")).maybe("#invoices") is None  # nothing is due


async def test_the_demos_oldest_customer_reaches_all_24_invoices_by_cursor(
    client: AsyncClient, db: Database, settings: Settings
) -> None:
    """Emily Carter, the demo's oldest customer, has 24 invoices: every one is reached once,
    newest first, while the billing clock writes a new one between two pages."""
    demo = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    delta = (clock.timestamp() - DEMO_ANCHOR) // 86400 * 86400
    await load(db, parse(shift_times(demo, delta)))
    emily = "cus_Vfh9zdScdPorvi"
    expected = sorted(
        (i for i in demo["invoices"] if i["customer"] == emily and i["status"] != "draft"),
        key=lambda i: (i["created"], i["id"]),
        reverse=True,
    )
    assert len(expected) == 24
    url = (await sessions.issue(db, settings, customer_id=emily, configuration_id="bpc_demo")).url
    await client.get(url.removeprefix(settings.base_url))
    seen: list[str] = []
    page = await client.get(LIST)
    while True:
        seen += numbers(page.text)
        if len(seen) == 20:  # between two pages: a new invoice does not shift the next one
            await factories.seed(
                db, invoices=[factories.invoice(emily, 500, created=clock.timestamp())]
            )
        older = html(page).maybe("a.older")
        if older is None:
            break
        page = await client.get(str(older.attributes["href"]))
    assert seen == [i["number"] for i in expected]


async def test_each_row_links_to_its_invoice_and_a_due_one_to_paying_it(
    shop: Shop, client: AsyncClient, db: Database, app: Starlette
) -> None:
    data = await shop.customer(
        invoices=2, more_features={"payment_method_update": {"enabled": True}}
    )
    due = await _seed_due_invoice(db, data)
    page = html(await client.get(LIST))
    links = page.css("#invoice-list tbody td:nth-child(2) a")
    assert len(links) == 3
    for link in links:
        detail = html(await client.get(str(link.attributes["href"])))
        assert detail.css_first("h1").text() == f"Invoice {link.text()}"
    pay = str(page.css_first("#invoice-list a.pay-link").attributes["href"])
    assert (await client.get(pay)).status_code == 200
    # The rows' links are patterns filled per row: a `%` in the prefix stays as it is.
    request = Request({"type": "http", "app": app, "root_path": "/bill%20ing", "headers": []})
    pattern = templating.path_pattern({"request": request}, "invoices:pay", "invoice_id")
    assert pattern % due["id"] == "/bill%20ing" + pay


async def test_another_customers_invoice_is_no_cursor(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    """A cursor is one of the customer's own invoices: another's, or an unknown id, gives an
    empty page (not the customer's invoices older than it, which would tell its date)."""
    await shop.customer(invoices=3)
    stranger = factories.customer()
    theirs = factories.invoice(stranger["id"], 700, created=clock.timestamp() + DAY)
    await factories.seed(db, customers=[stranger], invoices=[theirs])
    for cursor in (theirs["id"], "in_unknown"):
        page = await client.get(LIST, params={"starting_after": cursor})
        assert page.status_code == 200 and numbers(page.text) == []
