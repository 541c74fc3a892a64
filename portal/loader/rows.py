"""From load-format objects to table rows, and the references between them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Column, Table

from portal import tables
from portal.auth.emails import normalize_email
from portal.core.fields import Obj
from portal.loader import schema as s
from portal.loader.configuration import PortalConfiguration

Values = dict[str, Any]


def _dump(model: Obj | None) -> Any:
    return None if model is None else model.model_dump(mode="json", exclude_none=True)


def product(p: s.Product) -> Values:
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "unit_label": p.unit_label,
        "tax_code": p.tax_code,
        "active": p.active,
        "metadata": p.metadata,
        "livemode": p.livemode,
        "created": p.created,
    }


def price(p: s.Price) -> Values:
    recurring = p.recurring
    return {
        "id": p.id,
        "product_id": p.product,
        "nickname": p.nickname,
        "currency": p.currency,
        "unit_amount": p.unit_amount,
        "interval": recurring.interval if recurring else None,
        "interval_count": recurring.interval_count if recurring else 1,
        "usage_type": recurring.usage_type if recurring else "licensed",
        "tax_behavior": p.tax_behavior,
        "active": p.active,
        "livemode": p.livemode,
        "created": p.created,
    }


def coupon(c: s.Coupon) -> Values:
    return {
        "id": c.id,
        "name": c.name,
        "percent_off": c.percent_off,
        "amount_off": c.amount_off,
        "currency": c.currency,
        "duration": c.duration,
        "duration_in_months": c.duration_in_months,
        "applies_to_products": c.applies_to.products if c.applies_to else None,
        "max_redemptions": c.max_redemptions,
        "redeem_by": c.redeem_by,
        "times_redeemed": c.times_redeemed,
        "valid": c.valid,
        "livemode": c.livemode,
        "created": c.created,
    }


def customer(c: s.Customer) -> Values:
    return {
        "id": c.id,
        "email": c.email,
        "email_normalized": normalize_email(c.email) if c.email else None,
        "name": c.name,
        "phone": c.phone,
        "address": _dump(c.address),
        "shipping": _dump(c.shipping),
        "preferred_locale": c.preferred_locales[0] if c.preferred_locales else None,
        "default_payment_method_id": c.invoice_settings.default_payment_method,
        "balance": c.balance,
        "metadata": c.metadata,
        "livemode": c.livemode,
        "created": c.created,
    }


def tax_id(t: s.TaxId) -> Values:
    return {
        "id": t.id,
        "customer_id": t.customer,
        "type": t.type,
        "value": t.value,
        "country": t.country,
        "verification_status": "unverified",
        "created": t.created,
    }


def payment_method(p: s.PaymentMethod) -> Values:
    return {
        "id": p.id,
        "customer_id": p.customer,
        "type": p.type,
        "brand": p.card.brand,
        "last4": p.card.last4,
        "exp_month": p.card.exp_month,
        "exp_year": p.card.exp_year,
        "fingerprint": p.card.fingerprint,
        "processor_token": None,
        "billing_details": None,
        "livemode": p.livemode,
        "created": p.created,
    }


def promotion_code(p: s.PromotionCode) -> Values:
    r = p.restrictions
    return {
        "id": p.id,
        "code": p.code,
        "code_normalized": p.code.casefold(),
        "coupon_id": p.coupon,
        "customer_id": p.customer,
        "active": p.active,
        "expires_at": p.expires_at,
        "max_redemptions": p.max_redemptions,
        "times_redeemed": p.times_redeemed,
        "first_time_transaction": r.first_time_transaction,
        "minimum_amount": r.minimum_amount,
        "minimum_amount_currency": r.minimum_amount_currency,
        "livemode": p.livemode,
        "created": p.created,
    }


def subscription(x: s.Subscription) -> Values:
    return {
        "id": x.id,
        "customer_id": x.customer,
        "status": x.status,
        "current_period_start": x.current_period_start,
        "current_period_end": x.current_period_end,
        "cancel_at_period_end": x.cancel_at_period_end,
        "cancel_at": x.cancel_at,
        "canceled_at": x.canceled_at,
        "ended_at": x.ended_at,
        "cancellation_details": _dump(x.cancellation_details),
        "trial_start": x.trial_start,
        "trial_end": x.trial_end,
        "pause_collection": _dump(x.pause_collection),
        "collection_method": x.collection_method,
        "default_payment_method_id": x.default_payment_method,
        "schedule_id": x.schedule,
        "pending_update": None,
        "version": 1,
        "metadata": x.metadata,
        "livemode": x.livemode,
        "created": x.created,
    }


def invoice(i: s.Invoice) -> Values:
    return {
        "id": i.id,
        "customer_id": i.customer,
        "subscription_id": i.subscription,
        "number": i.number,
        "status": i.status,
        "billing_reason": i.billing_reason,
        "currency": i.currency,
        "subtotal": i.subtotal,
        "discount": i.discount,
        "tax": i.tax or 0,
        "total": i.total,
        "amount_due": i.amount_due,
        "amount_paid": i.amount_paid,
        "period_start": i.period_start,
        "period_end": i.period_end,
        "due_date": i.due_date,
        "paid_at": i.status_transitions.paid_at,
        "livemode": i.livemode,
        # Loaded invoices are history: open ones are not collected automatically.
        "attempt_count": 0,
        "next_payment_attempt": None,
        "created": i.created,
    }


def configuration(c: PortalConfiguration) -> Values:
    return {
        "id": c.id,
        "active": c.active,
        "is_default": c.is_default,
        "business_profile": _dump(c.business_profile),
        "branding": _dump(c.branding),
        "features": _dump(c.features),
        "default_return_url": c.default_return_url,
        "login_page_enabled": c.login_page.enabled,
        "login_link_id": c.login_page.link_id,
        "secure_mode": c.login_page.secure_mode,
        "metadata": c.metadata,
        "name": c.name,
        "livemode": c.livemode,
        "created": c.created,
        "updated": c.updated or c.created,
    }


def table_rows(file: s.LoadFile) -> Iterator[tuple[Table, list[Values]]]:
    """Parents before children, so foreign keys hold at every statement."""
    yield tables.products, [product(p) for p in file.products]
    yield tables.prices, [price(p) for p in file.prices]
    yield tables.coupons, [coupon(c) for c in file.coupons]
    yield tables.customers, [customer(c) for c in file.customers]
    yield tables.tax_ids, [tax_id(t) for t in file.tax_ids]
    yield tables.payment_methods, [payment_method(p) for p in file.payment_methods]
    yield tables.promotion_codes, [promotion_code(p) for p in file.promotion_codes]
    yield tables.subscriptions, [subscription(x) for x in file.subscriptions]
    yield tables.invoices, [invoice(i) for i in file.invoices]
    yield tables.portal_configurations, [configuration(c) for c in file.portal_configurations]


def child_rows(file: s.LoadFile) -> Iterator[tuple[Table, Column[str], list[str], list[Values]]]:
    items = [
        {
            "id": item.id,
            "subscription_id": x.id,
            "price_id": item.price,
            "quantity": item.quantity,
            "created": item.created or x.created,
        }
        for x in file.subscriptions
        for item in x.items.data
    ]
    yield (
        tables.subscription_items,
        tables.subscription_items.c.subscription_id,
        [x.id for x in file.subscriptions],
        items,
    )
    lines = [
        {
            "id": line.id,
            "invoice_id": i.id,
            "price_id": line.price,
            "description": line.description,
            "amount": line.amount,
            "quantity": line.quantity,
            "proration": line.proration,
            "period_start": line.period.start if line.period else None,
            "period_end": line.period.end if line.period else None,
            "position": position,
        }
        for i in file.invoices
        for position, line in enumerate(i.lines.data)
    ]
    yield (
        tables.invoice_lines,
        tables.invoice_lines.c.invoice_id,
        [i.id for i in file.invoices],
        lines,
    )


def references(file: s.LoadFile) -> dict[str, dict[str, str]]:
    """For each table, the ids the file points at, each with where it is first pointed at."""
    refs: dict[str, dict[str, str]] = {
        k: {}
        for k in ("products", "prices", "coupons", "customers", "payment_methods", "subscriptions")
    }

    def add(kind: str, ref: str | None, where: str) -> None:
        if ref is not None:
            refs[kind].setdefault(ref, where)

    for i, p in enumerate(file.prices):
        add("products", p.product, f"prices[{i}] ({p.id}), field product")
    for i, coupon_ in enumerate(file.coupons):
        for product_id in coupon_.applies_to.products if coupon_.applies_to else []:
            add("products", product_id, f"coupons[{i}] ({coupon_.id}), field applies_to.products")
    for i, cu in enumerate(file.customers):
        add(
            "payment_methods",
            cu.invoice_settings.default_payment_method,
            f"customers[{i}] ({cu.id}), field invoice_settings.default_payment_method",
        )
    for i, t in enumerate(file.tax_ids):
        add("customers", t.customer, f"tax_ids[{i}] ({t.id}), field customer")
    for i, pm in enumerate(file.payment_methods):
        add("customers", pm.customer, f"payment_methods[{i}] ({pm.id}), field customer")
    for i, pc in enumerate(file.promotion_codes):
        add("coupons", pc.coupon, f"promotion_codes[{i}] ({pc.id}), field coupon")
        add("customers", pc.customer, f"promotion_codes[{i}] ({pc.id}), field customer")
    for i, x in enumerate(file.subscriptions):
        where = f"subscriptions[{i}] ({x.id}), field"
        add("customers", x.customer, f"{where} customer")
        add("payment_methods", x.default_payment_method, f"{where} default_payment_method")
        for j, item in enumerate(x.items.data):
            add("prices", item.price, f"{where} items.data[{j}].price")
    for i, inv in enumerate(file.invoices):
        where = f"invoices[{i}] ({inv.id}), field"
        add("customers", inv.customer, f"{where} customer")
        add("subscriptions", inv.subscription, f"{where} subscription")
        for j, line in enumerate(inv.lines.data):
            add("prices", line.price, f"{where} lines.data[{j}].price")
    for i, c in enumerate(file.portal_configurations):
        where = f"portal_configurations[{i}] ({c.id}), field features"
        update = c.features.subscription_update
        for j, up in enumerate(update.products):
            add("products", up.product, f"{where}.subscription_update.products[{j}].product")
            for price_id in up.prices:
                add("prices", price_id, f"{where}.subscription_update.products[{j}].prices")
        add(
            "coupons",
            c.features.subscription_cancel.retention_coupon,
            f"{where}.subscription_cancel.retention_coupon",
        )
    return refs
