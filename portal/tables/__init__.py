"""The whole data model as SQLAlchemy Core tables: one MetaData, the same on SQLite and PostgreSQL.

Conventions: ids are Stripe-shaped strings (`cus_…`); money is integer minor units next to a
lower-case ISO currency; times are Unix seconds (BigInteger) in UTC, as in the load format;
structured values Stripe nests (addresses, branding, features) are JSON.

One module per area; every table is importable from here.
"""

from __future__ import annotations

from portal.tables.api import api_keys, idempotency_keys
from portal.tables.base import metadata
from portal.tables.catalog import prices, products
from portal.tables.customers import customers, payment_methods, tax_ids
from portal.tables.discounts import coupons, discounts, promotion_codes
from portal.tables.invoices import invoice_items, invoice_lines, invoice_numbering, invoices
from portal.tables.outbound import (
    events,
    outbox_emails,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)
from portal.tables.portal import (
    login_codes,
    portal_configurations,
    portal_sessions,
    throttles,
)
from portal.tables.processing import processor_charges, processor_setups, test_clock
from portal.tables.subscriptions import subscription_items, subscriptions

__all__ = [
    "api_keys",
    "coupons",
    "customers",
    "discounts",
    "events",
    "idempotency_keys",
    "invoice_items",
    "invoice_lines",
    "invoice_numbering",
    "invoices",
    "login_codes",
    "metadata",
    "outbox_emails",
    "payment_methods",
    "portal_configurations",
    "portal_sessions",
    "prices",
    "processor_charges",
    "processor_setups",
    "products",
    "promotion_codes",
    "subscription_items",
    "subscriptions",
    "tax_ids",
    "test_clock",
    "throttles",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
]
