"""The contract every customer route keeps, checked on all of them: without a session it answers
with the sign-in page (401), and another customer's ids are a 404, for GET and POST alike.

A new route under /p/ is checked as soon as it exists; one with a new kind of id in its path
fails here until the test knows whose id to try (OTHER_CUSTOMERS)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from httpx import AsyncClient
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from portal.db import Database
from tests import factories
from tests.auth.helpers import csrf_token
from tests.conftest import html
from tests.shop import Shop

# Open to anyone by design: the sign-in pages, one-time session URLs, signing out.
PUBLIC = {
    "auth:login",
    "auth:send_code",
    "auth:code",
    "auth:check_code",
    "auth:resend",
    "auth:retry",
    "auth:magic",
    "auth:confirm_magic",
    "auth:session",
    "auth:logout",
}


def customer_routes(
    routes: list[BaseRoute], prefix: str = "", names: str = ""
) -> Iterator[tuple[str, str, str]]:
    """(name, method, path template) of every route under /p that is not public."""
    for route in routes:
        if isinstance(route, Mount):
            yield from customer_routes(
                route.routes, prefix + route.path, f"{names}{route.name}:" if route.name else names
            )
        elif isinstance(route, Route) and (prefix + route.path).startswith("/p/"):
            name = names + route.name
            if name not in PUBLIC:
                for method in sorted(route.methods or ()):
                    if method != "HEAD":
                        yield name, method, prefix + route.path


async def other_customers_ids(shop: Shop) -> dict[str, str]:
    """Ids that belong to another customer than the one signed in, by path parameter."""
    other = await shop.customer()
    tax_id = {
        "id": factories.uid("txi"),
        "customer": other["customer"]["id"],
        "type": "eu_vat",
        "value": "DE136695976",
        "created": 1,
    }
    await factories.seed(shop.db, tax_ids=[tax_id])
    return {
        "subscription_id": other["subscription"]["id"],
        "payment_method_id": other["card"]["id"],
        "invoice_id": other["invoices"][0]["id"],
        "tax_id": tax_id["id"],
    }


def filled(path: str, ids: dict[str, str]) -> str:
    params = re.findall(r"{(\w+)(?::\w+)?}", path)
    unknown = [p for p in params if p not in ids]
    assert not unknown, f"{path}: whose {unknown} should the contract test try?"
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: ids[m.group(1)], path)


async def send(client: AsyncClient, method: str, path: str, token: str) -> Any:
    if method == "GET":
        return await client.get(path)
    return await client.request(method, path, data={"csrftoken": token})


async def test_there_are_customer_routes_to_check(app: Starlette) -> None:
    found = {name for name, _, _ in customer_routes(app.routes)}
    assert {"account:home", "subscriptions:update", "subscriptions:confirm"} <= found


async def test_without_a_session_every_customer_route_asks_to_sign_in(
    app: Starlette, client: AsyncClient, db: Database
) -> None:
    data = await factories.customer_with_plan(db)
    ids = {
        "subscription_id": data["subscription"]["id"],
        "payment_method_id": data["payment_method"]["id"],
        "invoice_id": data["invoices"][0]["id"],
        "tax_id": "txi_anything",
    }
    token = await csrf_token(client, f"/p/login/{data['configuration']['login_page']['link_id']}")
    for name, method, path in customer_routes(app.routes):
        response = await send(client, method, filled(path, ids), token)
        assert response.status_code == 401, (name, method, response.status_code)
        assert html(response).maybe("a.button") is not None, name  # the way to sign in


async def test_another_customers_ids_are_not_found(
    app: Starlette, client: AsyncClient, shop: Shop
) -> None:
    ids = await other_customers_ids(shop)
    await shop.customer()  # signed in as this one
    token = await csrf_token(client, "/p/")
    for name, method, path in customer_routes(app.routes):
        if "{" not in path:
            continue  # nothing of anyone else's to ask for
        response = await send(client, method, filled(path, ids), token)
        assert response.status_code == 404, (name, method, response.status_code)
