"""What an integration reads back: a customer, and lists of subscriptions, invoices and
events, in Stripe's shapes (the fields the portal keeps)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from portal import clock
from portal.api import lists, queries
from portal.api.endpoint import Call
from portal.api.errors import NotFound, UnknownParameter
from portal.db import Row
from portal.objects import queries as object_queries
from portal.objects import shapes
from portal.tables import events, invoices, subscriptions
from portal.webhooks.delivery import event_object


async def customer(call: Call) -> dict[str, Any]:
    customer_id = call.path("customer")
    row = await queries.customer(call.db, customer_id, call.livemode)
    if row is None:
        raise NotFound(f"No such customer: '{customer_id}'", param="id")
    return shapes.customer(row, await object_queries.tax_ids_of(call.db, [customer_id]))


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
        ids = [r["id"] for r in rows]
        items = await object_queries.items_of(call.db, ids)
        discounts = await object_queries.discounts_of(call.db, ids, clock.timestamp())
        return [
            shapes.subscription(
                r,
                [i for i in items if i["subscription_id"] == r["id"]],
                [d["id"] for d in discounts if d["subscription_id"] == r["id"]],
            )
            for r in rows
        ]

    return await lists.page(call, params, subscriptions, conditions, shape)


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
        lines = await object_queries.lines_of(call.db, [r["id"] for r in rows])
        return [shapes.invoice(r, [x for x in lines if x["invoice_id"] == r["id"]]) for r in rows]

    return await lists.page(call, params, invoices, conditions, shape)


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
