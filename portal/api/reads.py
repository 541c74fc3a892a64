"""What an integration reads back: a customer, and lists of subscriptions, invoices and
events, in Stripe's shapes (the fields the portal keeps)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from portal.api import lists, queries
from portal.api.endpoint import Call
from portal.api.errors import NotFound, UnknownParameter
from portal.billing_details.service import tax_id_object
from portal.db import Row
from portal.tables import events, invoice_lines, invoices, subscriptions, tax_ids
from portal.webhooks.delivery import event_object


async def customer(call: Call) -> dict[str, Any]:
    customer_id = call.path("customer")
    row = await queries.customer(call.db, customer_id, call.livemode)
    if row is None:
        raise NotFound(f"No such customer: '{customer_id}'", param="id")
    ids = await queries.rows_of(call.db, tax_ids, "customer_id", [customer_id])
    return customer_object(row, ids)


def customer_object(row: Row, ids: list[Row]) -> dict[str, Any]:
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
            "data": [tax_id_object(t) for t in ids],
            "has_more": False,
            "url": f"/v1/customers/{row['id']}/tax_ids",
        },
    }


class SubscriptionList(lists.ListParams):
    customer: str | None = None
    status: str | None = None


async def subscription_list(call: Call) -> dict[str, Any]:
    params = SubscriptionList.model_validate(call.params)
    conditions = []
    if params.customer:
        conditions.append(subscriptions.c.customer_id == params.customer)
    if params.status and params.status != "all":
        conditions.append(subscriptions.c.status == params.status)
    elif params.status is None:
        conditions.append(subscriptions.c.status != "canceled")  # as Stripe lists by default

    async def shape(rows: list[Row]) -> list[dict[str, Any]]:
        items = await queries.items_of(call.db, [r["id"] for r in rows])
        return [
            subscription_object(r, [i for i in items if i["subscription_id"] == r["id"]])
            for r in rows
        ]

    return await lists.page(call, params, subscriptions, conditions, shape)


def subscription_object(row: Row, items: list[Row]) -> dict[str, Any]:
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


class InvoiceList(lists.ListParams):
    customer: str | None = None
    subscription: str | None = None
    status: str | None = None


async def invoice_list(call: Call) -> dict[str, Any]:
    params = InvoiceList.model_validate(call.params)
    conditions = []
    if params.customer:
        conditions.append(invoices.c.customer_id == params.customer)
    if params.subscription:
        conditions.append(invoices.c.subscription_id == params.subscription)
    if params.status:
        conditions.append(invoices.c.status == params.status)

    async def shape(rows: list[Row]) -> list[dict[str, Any]]:
        lines = await queries.rows_of(call.db, invoice_lines, "invoice_id", [r["id"] for r in rows])
        return [invoice_object(r, [x for x in lines if x["invoice_id"] == r["id"]]) for r in rows]

    return await lists.page(call, params, invoices, conditions, shape)


def invoice_object(row: Row, lines: list[Row]) -> dict[str, Any]:
    ordered = sorted(lines, key=lambda line: (line["position"], line["id"]))
    remaining = 0 if row["status"] in ("paid", "void") else row["amount_due"] - row["amount_paid"]
    return {
        "id": row["id"],
        "object": "invoice",
        "amount_due": row["amount_due"],
        "amount_paid": row["amount_paid"],
        "amount_remaining": remaining,
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


class EventList(lists.ListParams):
    type: str | None = None
    types: Annotated[list[str], Field(max_length=20)] = []
    created: dict[str, int] | int | None = None


async def event_list(call: Call) -> dict[str, Any]:
    params = EventList.model_validate(call.params)
    conditions = []
    if params.type:
        if params.type.endswith(".*"):
            conditions.append(events.c.type.startswith(params.type[:-1]))
        else:
            conditions.append(events.c.type == params.type)
    if params.types:
        conditions.append(events.c.type.in_(params.types))
    created = params.created
    if isinstance(created, int):
        conditions.append(events.c.created == created)
    elif created:
        compare = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}
        for operator, value in created.items():
            if operator not in compare:
                param = f"created[{operator}]"
                raise UnknownParameter(f"Received unknown parameter: {param}", param=param)
            conditions.append(getattr(events.c.created, compare[operator])(value))

    async def shape(rows: list[Row]) -> list[dict[str, Any]]:
        return [event_object(r) for r in rows]

    return await lists.page(call, params, events, conditions, shape)
