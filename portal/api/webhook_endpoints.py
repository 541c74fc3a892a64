"""`/v1/webhook_endpoints`: where the portal sends events. The signing secret is in the
answer to the create, and only there."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from portal.api import lists
from portal.api.endpoint import Call
from portal.api.errors import InvalidRequest, MissingParameter, NotFound
from portal.db import Row
from portal.tables import webhook_endpoints
from portal.webhooks import endpoints, queries
from portal.webhooks.delivery import API_VERSION


class EndpointParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = None
    enabled_events: list[str] | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    metadata: dict[str, str] | None = None
    disabled: bool | None = None
    api_version: str | None = None
    expand: list[str] = []


def _params(call: Call) -> EndpointParams:
    params = EndpointParams.model_validate(call.params)
    if params.api_version not in (None, API_VERSION):
        raise InvalidRequest(f"Events are sent in version {API_VERSION} only.", param="api_version")
    return params


async def create(call: Call) -> dict[str, Any]:
    params = _params(call)
    for name in ("url", "enabled_events"):
        if getattr(params, name) is None:
            raise MissingParameter(f"Missing required param: {name}.", param=name)
    assert params.url is not None and params.enabled_events is not None
    try:
        row, secret = await endpoints.create(
            call.db,
            call.settings,
            url=params.url,
            enabled_events=params.enabled_events,
            description=params.description,
            metadata=params.metadata or {},
            livemode=call.livemode,
        )
    except endpoints.EndpointRefused as refused:
        raise InvalidRequest(str(refused), param=refused.param) from None
    return {**endpoint_object(row), "secret": secret}


async def _row(call: Call) -> Row:
    endpoint_id = call.path("endpoint")
    row = await queries.endpoint(call.db, endpoint_id, call.livemode)
    if row is None:
        raise NotFound(f"No such webhook endpoint: '{endpoint_id}'", param="id")
    return row


async def retrieve(call: Call) -> dict[str, Any]:
    return endpoint_object(await _row(call))


async def update(call: Call) -> dict[str, Any]:
    params = _params(call)
    row = await _row(call)
    values: dict[str, Any] = {}
    try:
        if params.url is not None:
            await endpoints.check_url(params.url, call.settings)
            values["url"] = params.url
        if params.enabled_events is not None:
            values["enabled_events"] = endpoints.check_events(params.enabled_events)
    except endpoints.EndpointRefused as refused:
        raise InvalidRequest(str(refused), param=refused.param) from None
    if params.disabled is not None:
        values["status"] = "disabled" if params.disabled else "enabled"
    if "description" in params.model_fields_set:
        values["description"] = params.description
    if params.metadata is not None:
        metadata = {**(row["metadata"] or {}), **params.metadata}
        values["metadata"] = {key: value for key, value in metadata.items() if value}
    if values:
        await queries.change_endpoint(call.db, row["id"], values)
    return endpoint_object({**row, **values})


async def delete(call: Call) -> dict[str, Any]:
    row = await _row(call)
    await queries.delete_endpoint(call.db, row["id"])
    return {"id": row["id"], "object": "webhook_endpoint", "deleted": True}


async def listing(call: Call) -> dict[str, Any]:
    params = lists.ListParams.model_validate(call.params)

    async def shape(rows: list[Row]) -> list[dict[str, Any]]:
        return [endpoint_object(row) for row in rows]

    return await lists.page(call, params, webhook_endpoints, [], shape)


def endpoint_object(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "webhook_endpoint",
        "api_version": API_VERSION,
        "application": None,
        "created": row["created"],
        "description": row["description"],
        "enabled_events": row["enabled_events"],
        "livemode": bool(row["livemode"]),
        "metadata": row["metadata"] or {},
        "status": row["status"],
        "url": row["url"],
    }
