"""Subscriptions and their items."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, String, Table

from portal.tables.base import created, id_column, livemode, metadata, ref

subscriptions = Table(
    "subscriptions",
    metadata,
    id_column(),
    ref("customer_id", "customers.id", cascade=True),
    # incomplete | incomplete_expired | trialing | active | past_due | canceled | unpaid | paused
    Column("status", String(24), nullable=False),
    Column("current_period_start", BigInteger, nullable=False),
    Column("current_period_end", BigInteger, nullable=False),
    Column("cancel_at_period_end", Boolean, nullable=False, default=False),
    Column("cancel_at", BigInteger),
    Column("canceled_at", BigInteger),
    Column("ended_at", BigInteger),
    Column("cancellation_details", JSON),  # {reason, feedback, comment}
    Column("trial_start", BigInteger),
    Column("trial_end", BigInteger),
    Column("pause_collection", JSON),  # {behavior, resumes_at}
    # The retention coupon offered on cancelling: None, "accepted" or "declined" (once only).
    Column("retention_offer", String(12)),
    Column("collection_method", String(24), nullable=False, default="charge_automatically"),
    Column("default_payment_method_id", String(64)),
    Column("schedule_id", String(64)),  # an attached subscription schedule (not editable here)
    Column("pending_update", JSON),  # a change scheduled for the period end
    Column("version", Integer, nullable=False, default=1),  # optimistic locking
    Column("metadata", JSON, nullable=False, default=dict),
    livemode(),
    created(),
    Index("ix_subscriptions_status_period_end", "status", "current_period_end"),
)

subscription_items = Table(
    "subscription_items",
    metadata,
    id_column(),
    ref("subscription_id", "subscriptions.id", cascade=True),
    ref("price_id", "prices.id"),
    Column("quantity", Integer, nullable=False, default=1),
    created(),
)
