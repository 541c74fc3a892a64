"""The whole data model as SQLAlchemy Core tables: one MetaData, the same on SQLite and PostgreSQL.

Conventions: ids are Stripe-shaped strings (`cus_…`); money is integer minor units next to a
lower-case ISO currency; times are Unix seconds (BigInteger) in UTC, as in the load format;
structured values Stripe nests (addresses, branding, features) are JSON.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column[str]:
    return Column("id", String(64), primary_key=True)


def _ref(name: str, target: str, *, nullable: bool = False, cascade: bool = False
         ) -> Column[str]:
    return Column(
        name,
        String(64),
        ForeignKey(target, ondelete="CASCADE" if cascade else None),
        nullable=nullable,
        index=True,
    )


def _created() -> Column[int]:
    return Column("created", BigInteger, nullable=False)


def _livemode() -> Column[bool]:
    return Column("livemode", Boolean, nullable=False, default=False)


# -- Catalog -----------------------------------------------------------------------------

products = Table(
    "products",
    metadata,
    _id(),
    Column("name", String(250), nullable=False),
    Column("description", Text),
    Column("unit_label", String(12)),
    Column("tax_code", String(64)),
    Column("active", Boolean, nullable=False, default=True),
    Column("metadata", JSON, nullable=False, default=dict),
    _livemode(),
    _created(),
)

prices = Table(
    "prices",
    metadata,
    _id(),
    _ref("product_id", "products.id"),
    Column("nickname", String(250)),
    Column("currency", String(3), nullable=False),
    Column("unit_amount", BigInteger, nullable=False),
    Column("interval", String(8)),  # day | week | month | year; NULL for one-time prices
    Column("interval_count", Integer, nullable=False, default=1),
    Column("usage_type", String(8), nullable=False, default="licensed"),  # licensed | metered
    Column("tax_behavior", String(12), nullable=False, default="unspecified"),
    Column("active", Boolean, nullable=False, default=True),
    _livemode(),
    _created(),
)

# -- Customers ---------------------------------------------------------------------------

customers = Table(
    "customers",
    metadata,
    _id(),
    Column("email", String(512)),
    Column("email_normalized", String(512), index=True),
    Column("name", String(256)),
    Column("phone", String(32)),
    Column("address", JSON),
    Column("shipping", JSON),
    Column("preferred_locale", String(16)),
    Column("default_payment_method_id", String(64)),
    Column("balance", BigInteger, nullable=False, default=0),
    Column("metadata", JSON, nullable=False, default=dict),
    _livemode(),
    _created(),
)

tax_ids = Table(
    "tax_ids",
    metadata,
    _id(),
    _ref("customer_id", "customers.id", cascade=True),
    Column("type", String(16), nullable=False),  # eu_vat, gb_vat, us_ein, …
    Column("value", String(64), nullable=False),
    Column("country", String(2)),
    Column("verification_status", String(16), nullable=False, default="unverified"),
    _created(),
)

payment_methods = Table(
    "payment_methods",
    metadata,
    _id(),
    _ref("customer_id", "customers.id", nullable=True, cascade=True),
    Column("type", String(32), nullable=False),
    Column("brand", String(32)),
    Column("last4", String(4)),
    Column("exp_month", Integer),
    Column("exp_year", Integer),
    Column("fingerprint", String(64)),
    Column("processor_token", String(128)),
    Column("billing_details", JSON),
    _livemode(),
    _created(),
)

# -- Discounts ---------------------------------------------------------------------------

coupons = Table(
    "coupons",
    metadata,
    _id(),
    Column("name", String(40)),
    Column("percent_off", Integer),  # basis points are not needed: whole percents, 1-100
    Column("amount_off", BigInteger),
    Column("currency", String(3)),
    Column("duration", String(12), nullable=False),  # once | repeating | forever
    Column("duration_in_months", Integer),
    Column("applies_to_products", JSON),  # list of product ids, NULL for all
    Column("max_redemptions", Integer),
    Column("redeem_by", BigInteger),
    Column("times_redeemed", Integer, nullable=False, default=0),
    Column("valid", Boolean, nullable=False, default=True),
    _livemode(),
    _created(),
)

promotion_codes = Table(
    "promotion_codes",
    metadata,
    _id(),
    Column("code", String(64), nullable=False),
    Column("code_normalized", String(64), nullable=False, unique=True),
    _ref("coupon_id", "coupons.id"),
    _ref("customer_id", "customers.id", nullable=True),  # restricted to one customer
    Column("active", Boolean, nullable=False, default=True),
    Column("expires_at", BigInteger),
    Column("max_redemptions", Integer),
    Column("times_redeemed", Integer, nullable=False, default=0),
    Column("first_time_transaction", Boolean, nullable=False, default=False),
    Column("minimum_amount", BigInteger),
    Column("minimum_amount_currency", String(3)),
    _livemode(),
    _created(),
)

discounts = Table(
    "discounts",
    metadata,
    _id(),
    _ref("customer_id", "customers.id", cascade=True),
    _ref("subscription_id", "subscriptions.id", nullable=True, cascade=True),
    _ref("coupon_id", "coupons.id"),
    _ref("promotion_code_id", "promotion_codes.id", nullable=True),
    Column("start", BigInteger, nullable=False),
    Column("end", BigInteger),
    _created(),
)

# -- Subscriptions -----------------------------------------------------------------------

subscriptions = Table(
    "subscriptions",
    metadata,
    _id(),
    _ref("customer_id", "customers.id", cascade=True),
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
    Column("collection_method", String(24), nullable=False, default="charge_automatically"),
    Column("default_payment_method_id", String(64)),
    Column("schedule_id", String(64)),  # an attached subscription schedule (not editable here)
    Column("pending_update", JSON),  # a change scheduled for the period end
    Column("version", Integer, nullable=False, default=1),  # optimistic locking
    Column("metadata", JSON, nullable=False, default=dict),
    _livemode(),
    _created(),
    Index("ix_subscriptions_status_period_end", "status", "current_period_end"),
)

subscription_items = Table(
    "subscription_items",
    metadata,
    _id(),
    _ref("subscription_id", "subscriptions.id", cascade=True),
    _ref("price_id", "prices.id"),
    Column("quantity", Integer, nullable=False, default=1),
    _created(),
)

# -- Invoices ----------------------------------------------------------------------------

invoices = Table(
    "invoices",
    metadata,
    _id(),
    _ref("customer_id", "customers.id", cascade=True),
    _ref("subscription_id", "subscriptions.id", nullable=True),
    Column("number", String(64), unique=True),  # given when finalized (drafts have none)
    Column("status", String(16), nullable=False),  # draft | open | paid | void | uncollectible
    Column("billing_reason", String(32)),
    Column("currency", String(3), nullable=False),
    Column("subtotal", BigInteger, nullable=False),
    Column("discount", BigInteger, nullable=False, default=0),
    Column("tax", BigInteger, nullable=False, default=0),
    Column("total", BigInteger, nullable=False),
    Column("amount_due", BigInteger, nullable=False),
    Column("amount_paid", BigInteger, nullable=False, default=0),
    Column("period_start", BigInteger),
    Column("period_end", BigInteger),
    Column("due_date", BigInteger),
    Column("paid_at", BigInteger),
    # Automatic collection: how many charges were tried, and when the next one is due.
    Column("attempt_count", Integer, nullable=False, default=0),
    Column("next_payment_attempt", BigInteger),
    # The charge in flight: its idempotency key is committed before the processor is called.
    Column("charge_key", String(128)),
    Column("charge_started_at", BigInteger),
    # Applied when finalized: what it moves on the customer's balance, and the discount it
    # uses (a one-time discount ends with it).
    Column("balance_change", BigInteger, nullable=False, server_default="0"),
    Column("discount_id", String(64)),
    # A draft paid while the customer waits: the subscription change its payment completes.
    Column("change_on_payment", JSON),
    _livemode(),
    _created(),
    # A renewal happens once per subscription and period, whatever the number of workers.
    UniqueConstraint("subscription_id", "period_start", "billing_reason",
                     name="uq_invoices_subscription_period"),
    # Invoice history is read newest first per customer, by cursor.
    Index("ix_invoices_customer_created", "customer_id", "created", "id"),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    _id(),
    _ref("invoice_id", "invoices.id", cascade=True),
    _ref("price_id", "prices.id", nullable=True),
    # period | unused_time | remaining_time, worded when shown; NULL for imported lines,
    # which keep the description they came with.
    Column("kind", String(16)),
    Column("description", Text),
    Column("amount", BigInteger, nullable=False),
    Column("quantity", Integer),
    Column("proration", Boolean, nullable=False, default=False),
    Column("period_start", BigInteger),
    Column("period_end", BigInteger),
    Column("position", Integer, nullable=False, default=0),
)

# Charges waiting for the subscription's next invoice (prorations of a change).
invoice_items = Table(
    "invoice_items",
    metadata,
    _id(),
    _ref("customer_id", "customers.id", cascade=True),
    _ref("subscription_id", "subscriptions.id", cascade=True),
    _ref("price_id", "prices.id", nullable=True),
    _ref("invoice_id", "invoices.id", nullable=True),  # NULL until invoiced
    Column("kind", String(16)),  # as on invoice_lines
    Column("description", Text),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("quantity", Integer),
    Column("proration", Boolean, nullable=False, default=False),
    Column("period_start", BigInteger),
    Column("period_end", BigInteger),
    _created(),
)

# -- Payment processor -------------------------------------------------------------------

# What the built-in test processor has charged, by idempotency key: the simulated network's
# own memory, so a retried charge is never taken twice.
processor_charges = Table(
    "processor_charges",
    metadata,
    Column("idempotency_key", String(128), primary_key=True),
    Column("payment_method_id", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("outcome", String(32), nullable=False),  # succeeded | card_declined | …
    Column("refunded_at", BigInteger),
    _created(),
)

# The business's invoice numbers: one prefix and one sequence (`QMA-0079`), continued from
# imported invoices by the loader.
invoice_numbering = Table(
    "invoice_numbering",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("prefix", String(16), nullable=False),
    Column("next_number", BigInteger, nullable=False),
)

# Test mode only: how far `portal clock advance` has moved time, shared by every process.
test_clock = Table(
    "test_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_seconds", BigInteger, nullable=False),
)

# -- Portal ------------------------------------------------------------------------------

portal_configurations = Table(
    "portal_configurations",
    metadata,
    _id(),
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
    Column("metadata", JSON, nullable=False, default=dict),
    _livemode(),
    _created(),
    Column("updated", BigInteger, nullable=False),
)

portal_sessions = Table(
    "portal_sessions",
    metadata,
    _id(),
    Column("token_hash", String(64), nullable=False, unique=True),
    _ref("customer_id", "customers.id", cascade=True),
    _ref("configuration_id", "portal_configurations.id"),
    Column("return_url", String(2048)),
    Column("locale", String(16)),
    Column("flow", JSON),
    Column("origin", String(16), nullable=False),  # login_link | api
    Column("opened_at", BigInteger),
    Column("last_seen", BigInteger),
    Column("ended_at", BigInteger),
    _created(),
)

login_codes = Table(
    "login_codes",
    metadata,
    _id(),
    Column("code_hash", String(64), nullable=False),
    Column("link_token_hash", String(64), nullable=False, unique=True),
    Column("email_normalized", String(512), nullable=False),
    # Keyed hash of the random nonce in the login cookie of the browser that asked: a typed
    # code only counts from that browser (the magic link works from any).
    Column("browser_hash", String(64), nullable=False),
    Column("digits", Integer, nullable=False),  # 6, or 10 after many wrong tries
    _ref("customer_id", "customers.id", cascade=True),
    _ref("configuration_id", "portal_configurations.id"),
    Column("locale", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("expires_at", BigInteger, nullable=False),
    Column("consumed_at", BigInteger),
    _created(),
    Index("ix_login_codes_browser", "email_normalized", "configuration_id", "browser_hash",
          "created"),
)

throttles = Table(
    "throttles",
    metadata,
    Column("key", String(200), primary_key=True),  # e.g. "email:<hmac>", "ip:<hmac>"
    Column("count", Integer, nullable=False, default=0),
    Column("window_start", BigInteger, nullable=False),
)

# -- Outbound ----------------------------------------------------------------------------

outbox_emails = Table(
    "outbox_emails",
    metadata,
    _id(),
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
    _created(),
    Index("ix_outbox_emails_pending", "sent_at", "next_attempt_at"),
    Index("ix_outbox_emails_expiring", "erased_at", "expires_at"),
    Index("ix_outbox_emails_last_attempt", "last_attempt_at"),
)

events = Table(
    "events",
    metadata,
    _id(),
    Column("type", String(64), nullable=False),
    Column("data", JSON, nullable=False),
    Column("previous_attributes", JSON),
    _livemode(),
    _created(),
    Index("ix_events_created", "created"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    _id(),
    Column("url", String(2048), nullable=False),
    Column("enabled_events", JSON, nullable=False),
    Column("secret", String(128), nullable=False),
    Column("status", String(16), nullable=False, default="enabled"),
    _livemode(),
    _created(),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    _id(),
    _ref("endpoint_id", "webhook_endpoints.id", cascade=True),
    _ref("event_id", "events.id", cascade=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("response_status", Integer),
    Column("last_error", Text),
    Column("delivered_at", BigInteger),
    _created(),
    UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
)
