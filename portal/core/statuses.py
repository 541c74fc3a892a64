"""The fixed sets of states stored objects go through (Stripe's names)."""

from __future__ import annotations

from enum import StrEnum


class SubscriptionStatus(StrEnum):
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"


LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE)
"""Subscriptions the billing clock moves on and a customer may change."""
ENDED = (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)


class InvoiceStatus(StrEnum):
    DRAFT = "draft"  # not final: a change's invoice while its payment is made
    OPEN = "open"  # final, to be paid
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"
