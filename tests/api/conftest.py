"""The official `stripe` package pointed at the app: what a business's backend runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
import stripe
from starlette.applications import Starlette

from portal.api import keys
from portal.db import Database
from portal.settings import Settings

MakeClient = Callable[..., Awaitable[tuple[stripe.StripeClient, str]]]


@pytest.fixture
async def make_stripe(
    app: Starlette, db: Database, settings: Settings
) -> AsyncIterator[MakeClient]:
    """`await make_stripe(livemode=False)`: a StripeClient with a new key, and its secret."""
    transports: list[httpx.AsyncClient] = []

    async def make(
        *, livemode: bool = False, secret: str | None = None
    ) -> tuple[stripe.StripeClient, str]:
        if secret is None:
            _, secret = await keys.create(db, settings, livemode=livemode)
        http = stripe.HTTPXClient()
        # In process, on the test's event loop: the SDK's requests go to the app itself.
        http._client_async = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
        transports.append(http._client_async)
        client = stripe.StripeClient(
            secret,
            base_addresses={"api": settings.base_url},
            http_client=http,
            max_network_retries=0,
        )
        return client, secret

    yield make
    for transport in transports:
        await transport.aclose()


@pytest.fixture
async def stripe_client(make_stripe: MakeClient) -> stripe.StripeClient:
    client, _ = await make_stripe()
    return client
