"""What leaves the portal: mail, events, webhooks."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from portal.tables.base import created, id_column, livemode, metadata, ref

outbox_emails = Table(
    "outbox_emails",
    metadata,
    id_column(),
    Column("to_address", String(512), nullable=False),
    Column("subject", String(998), nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text),
    Column("locale", String(16), nullable=False),
    Column("template", String(64), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("last_error", Text),  # of the latest attempt, once it has ended
    # The latest attempt that tells whether the server works: sent, or failed for another
    # reason than a refused recipient (code pages tell when sending fails, see mail.py).
    Column("last_attempt_at", BigInteger),
    Column("sent_at", BigInteger),
    # Mail that carries a secret (a sign-in code): when it stops working. Such mail is blanked
    # (subject and bodies) once sent, or dropped unsent once expired; the rest is kept.
    Column("expires_at", BigInteger),
    Column("erased_at", BigInteger),
    # Delivery (portal/delivery): claimed by a sender until then; failed too often to retry.
    Column("claimed_until", BigInteger),
    Column("gave_up_at", BigInteger),
    created(),
    Index("ix_outbox_emails_pending", "sent_at", "next_attempt_at"),
    Index("ix_outbox_emails_expiring", "erased_at", "expires_at"),
    Index("ix_outbox_emails_last_attempt", "last_attempt_at"),
)

events = Table(
    "events",
    metadata,
    id_column(),
    Column("type", String(64), nullable=False),
    Column("data", JSON, nullable=False),
    Column("previous_attributes", JSON),
    livemode(),
    created(),
    Index("ix_events_created", "created"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    id_column(),
    Column("url", String(2048), nullable=False),
    Column("enabled_events", JSON, nullable=False),  # event types, or ["*"]
    # A random nonce: the signing secret is derived from it with the server's secret key
    # (webhooks/endpoints.py), so the database alone does not hold it.
    Column("secret", String(128), nullable=False),
    Column("status", String(16), nullable=False, default="enabled"),  # enabled | disabled
    Column("description", String(5000)),
    Column("metadata", JSON, nullable=False, default=dict),
    livemode(),
    created(),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    id_column(),
    ref("endpoint_id", "webhook_endpoints.id", cascade=True),
    ref("event_id", "events.id", cascade=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("response_status", Integer),
    Column("last_error", Text),
    Column("last_attempt_at", BigInteger),
    Column("delivered_at", BigInteger),
    Column("claimed_until", BigInteger),
    Column("gave_up_at", BigInteger),
    created(),
    UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
    Index("ix_webhook_deliveries_pending", "delivered_at", "next_attempt_at"),
)

# Every attempt to deliver an event to an endpoint, as the receiver answered it.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    id_column(),
    ref("delivery_id", "webhook_deliveries.id", cascade=True),
    Column("attempted_at", BigInteger, nullable=False),
    Column("response_status", Integer),  # NULL: no answer (timeout, refused, …)
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
)
