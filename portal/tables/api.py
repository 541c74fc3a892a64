"""The merchant's HTTP API: its secret keys and the answers it keeps for idempotent retries."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Integer, String, Table

from portal.tables.base import created, id_column, metadata

# A key's secret is shown once; only its keyed hash is kept, with enough of its start to
# tell keys apart in a list.
api_keys = Table(
    "api_keys",
    metadata,
    id_column(),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("shown", String(16), nullable=False),  # "sk_test_Ab12…": the start of the secret
    Column("livemode", Boolean, nullable=False),
    Column("revoked_at", BigInteger),
    created(),
)

# A POST with an Idempotency-Key: the first answer, replayed for 24 hours to the same request.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column(
        "api_key_id",
        String(64),
        ForeignKey("api_keys.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer),  # NULL while the first request is still being answered
    Column("body", JSON),
    created(),
)
