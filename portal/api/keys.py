"""Secret API keys: `sk_test_…` or `sk_live_…`, printed once, kept as a keyed hash, revocable.

A test key sees and creates only test-mode objects, a live key only live ones."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from portal import clock
from portal.api import queries
from portal.db import Database, Row, new_id
from portal.security import keyed_hash, same
from portal.settings import Settings

PREFIXES = {False: "sk_test_", True: "sk_live_"}
SHOWN = 12  # characters of the secret kept to tell keys apart: "sk_test_Ab12"


@dataclass(frozen=True)
class ApiKey:
    id: str
    livemode: bool


def secret_hash(settings: Settings, secret: str) -> str:
    return keyed_hash(settings.secret_key, "api_key", secret)


async def create(db: Database, settings: Settings, *, livemode: bool) -> tuple[Row, str]:
    """A new key and its secret (256 random bits), which is not kept."""
    secret = PREFIXES[livemode] + secrets.token_urlsafe(32)
    row = {
        "id": new_id("key"),
        "secret_hash": secret_hash(settings, secret),
        "shown": secret[:SHOWN],
        "livemode": livemode,
        "revoked_at": None,
        "created": clock.timestamp(),
    }
    await queries.insert_key(db, **row)
    return row, secret


async def revoke(db: Database, key_id: str) -> bool:
    return await queries.revoke_key(db, key_id, clock.timestamp())


async def listing(db: Database) -> list[Row]:
    return await queries.keys(db)


async def authenticate(db: Database, settings: Settings, secret: str) -> ApiKey | None:
    """The live key this secret belongs to, if any."""
    if not secret.startswith(tuple(PREFIXES.values())) or len(secret) > 200:
        return None
    digest = secret_hash(settings, secret)
    row = await queries.key_by_hash(db, digest)
    if row is None or not same(row["secret_hash"], digest) or row["revoked_at"] is not None:
        return None
    return ApiKey(row["id"], bool(row["livemode"]))
