"""Portal configurations, sessions, login codes and throttles."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, String, Table

from portal.tables.base import created, id_column, livemode, metadata, ref

portal_configurations = Table(
    "portal_configurations",
    metadata,
    id_column(),
    Column("active", Boolean, nullable=False, default=True),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("business_profile", JSON, nullable=False),  # name, headline, privacy/terms URLs
    Column("branding", JSON, nullable=False),
    Column("features", JSON, nullable=False),
    Column("default_return_url", String(2048)),
    Column("login_page_enabled", Boolean, nullable=False, default=False),
    Column("login_link_id", String(64), unique=True),
    # Secure mode: the login page only accepts emails signed with this secret by the merchant.
    Column("secure_mode", Boolean, nullable=False, default=False),
    Column("secure_mode_secret", String(128)),
    Column("custom_domain", String(253), unique=True),
    Column("name", String(256)),  # the merchant's own name for it (Stripe's `name`)
    Column("metadata", JSON, nullable=False, default=dict),
    livemode(),
    created(),
    Column("updated", BigInteger, nullable=False),
)

portal_sessions = Table(
    "portal_sessions",
    metadata,
    id_column(),
    Column("token_hash", String(64), nullable=False, unique=True),
    ref("customer_id", "customers.id", cascade=True),
    ref("configuration_id", "portal_configurations.id"),
    Column("return_url", String(2048)),
    Column("locale", String(16)),
    Column("flow", JSON),
    Column("origin", String(16), nullable=False),  # login_link | api
    Column("opened_at", BigInteger),
    Column("last_seen", BigInteger),
    Column("ended_at", BigInteger),
    created(),
)

login_codes = Table(
    "login_codes",
    metadata,
    id_column(),
    Column("code_hash", String(64), nullable=False),
    Column("link_token_hash", String(64), nullable=False, unique=True),
    Column("email_normalized", String(512), nullable=False),
    # Keyed hash of the random nonce in the login cookie of the browser that asked: a typed
    # code only counts from that browser (the magic link works from any).
    Column("browser_hash", String(64), nullable=False),
    Column("digits", Integer, nullable=False),  # 6, or 10 after many wrong tries
    ref("customer_id", "customers.id", cascade=True),
    ref("configuration_id", "portal_configurations.id"),
    Column("locale", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("expires_at", BigInteger, nullable=False),
    Column("consumed_at", BigInteger),
    created(),
    Index(
        "ix_login_codes_browser", "email_normalized", "configuration_id", "browser_hash", "created"
    ),
)

throttles = Table(
    "throttles",
    metadata,
    Column("key", String(200), primary_key=True),  # e.g. "email:<hmac>", "ip:<hmac>"
    Column("count", Integer, nullable=False, default=0),
    Column("window_start", BigInteger, nullable=False),
)
