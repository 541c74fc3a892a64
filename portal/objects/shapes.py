"""Objects in Stripe's shapes, built from the portal's rows (the fields it keeps)."""

from __future__ import annotations

from typing import Any

from portal.db import Row


def customer(row: Row, ids: list[Row]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "customer",
        "address": row["address"],
        "balance": row["balance"],
        "created": row["created"],
        "email": row["email"],
        "invoice_settings": {"default_payment_method": row["default_payment_method_id"]},
        "livemode": bool(row["livemode"]),
        "metadata": row["metadata"] or {},
        "name": row["name"],
        "phone": row["phone"],
        "preferred_locales": [row["preferred_locale"]] if row["preferred_locale"] else [],
        "shipping": row["shipping"],
        "tax_ids": {
            "object": "list",
            "data": [tax_id(t) for t in ids],
            "has_more": False,
            "url": f"/v1/customers/{row['id']}/tax_ids",
        },
    }


def subscription(row: Row, items: list[Row], discount_ids: list[str]) -> dict[str, Any]:
    """`items` with their prices; `discount_ids`: the discounts in force."""
    return {
        "id": row["id"],
        "object": "subscription",
        "cancel_at": row["cancel_at"],
        "cancel_at_period_end": bool(row["cancel_at_period_end"]),
        "canceled_at": row["canceled_at"],
        "cancellation_details": row["cancellation_details"],
        "collection_method": row["collection_method"],
        "created": row["created"],
        "currency": items[0]["currency"] if items else None,
        "customer": row["customer_id"],
        "default_payment_method": row["default_payment_method_id"],
        "discounts": discount_ids,
        "ended_at": row["ended_at"],
        "items": {
            "object": "list",
            "data": [
                {
                    "id": item["id"],
                    "object": "subscription_item",
                    "current_period_start": row["current_period_start"],
                    "current_period_end": row["current_period_end"],
                    "price": {
                        "id": item["price_id"],
                        "object": "price",
                        "currency": item["currency"],
                        "product": item["product_id"],
                        "recurring": {
                            "interval": item["interval"],
                            "interval_count": item["interval_count"],
                            "usage_type": item["usage_type"],
                        }
                        if item["interval"]
                        else None,
                        "unit_amount": item["unit_amount"],
                    },
                    "quantity": item["quantity"],
                    "subscription": row["id"],
                }
                for item in items
            ],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={row['id']}",
        },
        "livemode": bool(row["livemode"]),
        "metadata": row["metadata"] or {},
        "pause_collection": row["pause_collection"],
        "status": row["status"],
        "trial_end": row["trial_end"],
        "trial_start": row["trial_start"],
    }


def invoice(row: Row, lines: list[Row]) -> dict[str, Any]:
    ordered = sorted(lines, key=lambda line: (line["position"], line["id"]))
    remaining = 0 if row["status"] in ("paid", "void") else row["amount_due"] - row["amount_paid"]
    return {
        "id": row["id"],
        "object": "invoice",
        "amount_due": row["amount_due"],
        "amount_paid": row["amount_paid"],
        "amount_remaining": remaining,
        "attempt_count": row["attempt_count"],
        "attempted": row["attempt_count"] > 0,
        "billing_reason": row["billing_reason"],
        "collection_method": "charge_automatically" if row["due_date"] is None else "send_invoice",
        "created": row["created"],
        "currency": row["currency"],
        "customer": row["customer_id"],
        "customer_address": row["customer_address"],
        "customer_email": row["customer_email"],
        "customer_name": row["customer_name"],
        "customer_phone": row["customer_phone"],
        "customer_shipping": row["customer_shipping"],
        "customer_tax_ids": row["customer_tax_ids"] or [],
        "due_date": row["due_date"],
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": line["id"],
                    "object": "line_item",
                    "amount": line["amount"],
                    "currency": row["currency"],
                    "description": line["description"],
                    "period": {"start": line["period_start"], "end": line["period_end"]},
                    "pricing": {"price_details": {"price": line["price_id"]}}
                    if line["price_id"]
                    else None,
                    "quantity": line["quantity"],
                }
                for line in ordered
            ],
            "has_more": False,
            "url": f"/v1/invoices/{row['id']}/lines",
        },
        "livemode": bool(row["livemode"]),
        "next_payment_attempt": row["next_payment_attempt"],
        "number": row["number"],
        "period_end": row["period_end"],
        "period_start": row["period_start"],
        "status": row["status"],
        "status_transitions": {"paid_at": row["paid_at"]},
        "subscription": row["subscription_id"],
        "subtotal": row["subtotal"],
        "tax": row["tax"],
        "total": row["total"],
    }


def tax_id(row: Row) -> dict[str, Any]:
    """A tax ID as Stripe describes it."""
    return {
        "id": row["id"],
        "object": "tax_id",
        "customer": row["customer_id"],
        "type": row["type"],
        "value": row["value"],
        "country": row["country"],
        "created": row["created"],
        "verification": {"status": row["verification_status"]},
    }


NO_BILLING_DETAILS = {"address": None, "email": None, "name": None, "phone": None}


def payment_method(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "payment_method",
        "billing_details": row["billing_details"] or NO_BILLING_DETAILS,
        "card": {
            "brand": row["brand"],
            "exp_month": row["exp_month"],
            "exp_year": row["exp_year"],
            "fingerprint": row["fingerprint"],
            "last4": row["last4"],
        }
        if row["type"] == "card"
        else None,
        "created": row["created"],
        "customer": row["customer_id"],
        "livemode": bool(row["livemode"]),
        "type": row["type"],
    }
