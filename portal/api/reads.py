"""What an integration reads back: a customer, and lists of subscriptions, invoices and
events, in Stripe's shapes (the fields the portal keeps)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from pydantic import Field

from portal import objects
from portal.api import lists, queries
from portal.api.endpoint import Call
from portal.api.errors import NotFound, UnknownParameter
from portal.db import Row
from portal.tables import events, invoices, subscriptions
from portal.webhooks.delivery import event_object


async def customer(call: Call) -> dict[str, Any]:
    customer_id = call.path("customer")
    row = await queries.customer(call.db, customer_id, call.livemode)
    if row is None:
        raise NotFound(f"No such customer: '{customer_id}'", param="id")
    return await objects.customer_of(call.db, row)


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

    return await lists.page(
        call, params, subscriptions, conditions, partial(objects.subscriptions_of, call.db)
    )


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

    return await lists.page(
        call, params, invoices, conditions, partial(objects.invoices_of, call.db)
    )


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
