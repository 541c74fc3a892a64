"""`portal api-key create|list|revoke`: a secret printed once, kept hashed, listed without it,
and refused once revoked."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import stripe
from sqlalchemy import select

from portal.cli import main
from portal.db import Database
from portal.settings import Settings
from portal.tables import api_keys
from tests.api.conftest import MakeClient
from tests.shop import Shop


async def test_create_list_use_and_revoke_a_key(
    shop: Shop,
    make_stripe: MakeClient,
    db: Database,
    settings: Settings,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", settings.secret_key)
    await asyncio.to_thread(main, ["api-key", "create"])
    secret = capsys.readouterr().out.strip()
    await asyncio.to_thread(main, ["api-key", "create", "--live"])
    live = capsys.readouterr().out.strip()
    assert secret.startswith("sk_test_") and live.startswith("sk_live_")
    assert len(secret) >= 50  # 256 random bits after the prefix
    stored = await db.fetch_all(select(api_keys))
    assert all(secret not in str(dict(row).values()) for row in stored)  # only its hash

    await asyncio.to_thread(main, ["api-key", "list"])
    listed = capsys.readouterr().out
    assert secret not in listed and secret[:12] in listed and live[:12] in listed
    assert "test  active" in listed and "live  active" in listed

    data = await shop.customer()
    client, _ = await make_stripe(secret=secret)
    params: Any = {"customer": data["customer"]["id"]}
    await client.v1.billing_portal.sessions.create_async(params)

    key_id = next(row["id"] for row in stored if not row["livemode"])
    await asyncio.to_thread(main, ["api-key", "revoke", key_id])
    with pytest.raises(stripe.AuthenticationError):
        await client.v1.billing_portal.sessions.create_async(params)
    with pytest.raises(SystemExit):
        await asyncio.to_thread(main, ["api-key", "revoke", key_id])
    assert "No active API key" in capsys.readouterr().err
