"""Stripe's list envelope and cursor parameters, for every list endpoint."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Table

from portal.api import queries
from portal.api.endpoint import Call
from portal.api.errors import InvalidRequest
from portal.db import Row


class ListParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: Annotated[int, Field(ge=1, le=100)] = 10
    starting_after: str | None = None
    ending_before: str | None = None
    expand: list[str] = []


async def page(
    call: Call,
    params: ListParams,
    table: Table,
    conditions: Sequence[ColumnElement[bool]],
    shape: Callable[[list[Row]], Any],
) -> dict[str, Any]:
    """One page of `table` in the key's mode: `shape` turns its rows into objects (it may
    read their children once for the page)."""
    if params.starting_after and params.ending_before:
        raise InvalidRequest(
            "Pass starting_after or ending_before, not both.", param="ending_before"
        )
    rows = await queries.listing(
        call.db,
        table,
        [table.c.livemode == call.livemode, *conditions],
        starting_after=params.starting_after,
        ending_before=params.ending_before,
        limit=params.limit + 1,
    )
    more = len(rows) > params.limit
    rows = rows[1:] if more and params.ending_before else rows[: params.limit]
    return {
        "object": "list",
        "data": await shape(rows),
        "has_more": more,
        "url": call.request.url.path,
    }
