"""How every /v1 endpoint runs: the secret key, the rate limit, the parameters, idempotency,
and answers and errors in Stripe's shapes.

The API never reads cookies: a request is authenticated by its key alone (`Authorization:
Bearer sk_…`, or HTTP Basic with the key as user name, as the SDKs may send it), which a
browser does not attach on its own, so it needs no CSRF token."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from portal import clock
from portal.api import keys, params, queries
from portal.api.errors import (
    ApiError,
    Conflict,
    IdempotencyError,
    InvalidRequest,
    RateLimited,
    Unauthorized,
    from_validation,
)
from portal.auth.throttles import Throttle
from portal.db import Database, new_id
from portal.settings import Settings

RATE_LIMIT = 100  # requests per second and key, as Stripe allows in live mode


@dataclass(frozen=True)
class Call:
    """One authenticated API request, as an endpoint sees it."""

    request: Request
    key: keys.ApiKey
    params: dict[str, Any]

    @property
    def db(self) -> Database:
        database: Database = self.request.app.state.db
        return database

    @property
    def settings(self) -> Settings:
        settings: Settings = self.request.app.state.settings
        return settings

    @property
    def livemode(self) -> bool:
        return self.key.livemode

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])


Handler = Callable[[Call], Awaitable[dict[str, Any]]]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        try:
            key = await _authenticate(request)
            await _rate_limit(request, key)
            call = Call(request, key, await _params(request))
            idempotency_key = request.headers.get("idempotency-key")
            if request.method == "POST" and idempotency_key:
                return await _idempotent(call, idempotency_key, handler)
            status, body = await _answer(call, handler)
        except ApiError as error:
            status, body = error.status, error.body()
        return _json(status, body)

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


async def _answer(call: Call, handler: Handler) -> tuple[int, dict[str, Any]]:
    try:
        return 200, await handler(call)
    except ValidationError as error:
        problem = from_validation(error)
        return problem.status, problem.body()
    except ApiError as error:
        return error.status, error.body()


def _json(status: int, body: dict[str, Any], replayed: bool = False) -> Response:
    headers = {"request-id": new_id("req"), "cache-control": "no-store"}
    if replayed:
        headers["idempotent-replayed"] = "true"
    return JSONResponse(body, status_code=status, headers=headers)


async def _authenticate(request: Request) -> keys.ApiKey:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    secret = ""
    if scheme.lower() == "bearer":
        secret = credentials.strip()
    elif scheme.lower() == "basic":
        try:
            secret = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            secret = ""
    if not secret:
        raise Unauthorized(
            "You did not provide an API key. Provide it in the Authorization header as "
            "'Bearer sk_…' (cookies are not read by the API)."
        )
    key = await keys.authenticate(request.app.state.db, request.app.state.settings, secret)
    if key is None:
        raise Unauthorized(f"Invalid API Key provided: {secret[:8]}{'*' * 8}{secret[-4:]}")
    return key


async def _rate_limit(request: Request, key: keys.ApiKey) -> None:
    throttle = Throttle(request.app.state.db, request.app.state.settings.secret_key)
    if await throttle.hit("api", key.id, window=1) > RATE_LIMIT:
        raise RateLimited("Too many requests hit the API too quickly. Retry with back-off.")


async def _params(request: Request) -> dict[str, Any]:
    pairs = list(request.query_params.multi_items())
    if request.method == "POST":
        kind = request.headers.get("content-type", "").partition(";")[0].strip()
        if kind not in ("", "application/x-www-form-urlencoded"):
            raise InvalidRequest(
                "Send parameters form-encoded (application/x-www-form-urlencoded), as Stripe's "
                "API takes them."
            )
        # Read as UTF-8, escaped or not (`curl -d` sends "é" as it is; the SDKs send %C3%A9).
        try:
            body = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest("The request body is not UTF-8.") from None
        pairs += parse_qsl(body, keep_blank_values=True)
    return params.parse(pairs)


async def _idempotent(call: Call, key: str, handler: Handler) -> Response:
    """The first answer for this key and these parameters, replayed for 24 hours; another
    request with the key is refused."""
    if len(key) > 255:
        raise InvalidRequest(
            "Idempotency keys are at most 255 characters.", param="Idempotency-Key"
        )
    db, now = call.db, clock.timestamp()
    request_hash = hashlib.sha256(
        json.dumps([call.request.url.path, call.params], sort_keys=True).encode()
    ).hexdigest()
    await queries.forget_answers(db, now, call.key.id, key)
    kept = await queries.kept_answer(db, call.key.id, key)
    if kept is None and await queries.claim_answer(db, call.key.id, key, request_hash, now):
        try:
            status, body = await _answer(call, handler)
        except BaseException:
            await queries.release(db, call.key.id, key)  # not answered: it may be sent again
            raise
        await queries.keep_answer(db, call.key.id, key, status, body)
        return _json(status, body)
    kept = kept or await queries.kept_answer(db, call.key.id, key)
    if kept is None or kept["status"] is None:
        raise Conflict("A request with this idempotency key is still being answered.")
    if kept["request_hash"] != request_hash:
        raise IdempotencyError(
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request."
        )
    return _json(int(kept["status"]), kept["body"], replayed=True)
