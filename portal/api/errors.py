"""Errors as Stripe's API gives them: `{"error": {"type", "code", "message", "param"}}` with its
status codes, so the official SDKs raise their own exception classes for them."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class ApiError(Exception):
    status = 400
    type = "invalid_request_error"
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}


class InvalidRequest(ApiError):
    code = "parameter_invalid"


class MissingParameter(ApiError):
    code = "parameter_missing"


class UnknownParameter(ApiError):
    code = "parameter_unknown"


class NotFound(ApiError):
    status = 404
    code = "resource_missing"


class Unauthorized(ApiError):
    status = 401
    code = None


class Conflict(ApiError):
    status = 409
    code = "lock_timeout"


class IdempotencyError(ApiError):
    type = "idempotency_error"
    code = "idempotency_key_in_use"


class RateLimited(ApiError):
    status = 429
    type = "invalid_request_error"
    code = "rate_limit"


def param_name(location: tuple[int | str, ...]) -> str:
    """`("features", "customer_update", "allowed_updates", 0)` → Stripe's bracket form."""
    head, *rest = [str(part) for part in location] or [""]
    return head + "".join(f"[{part}]" for part in rest)


def from_validation(error: ValidationError, prefix: tuple[int | str, ...] = ()) -> ApiError:
    """The first problem pydantic found, as Stripe names it."""
    first = error.errors()[0]
    location = tuple(
        part for part in (*prefix, *first["loc"]) if not str(part).startswith("function-")
    )
    param = param_name(location)
    if first["type"] == "missing":
        return MissingParameter(f"Missing required param: {param}.", param=param)
    if first["type"] == "extra_forbidden":
        return UnknownParameter(f"Received unknown parameter: {param}", param=param)
    message = str(first["msg"]).removeprefix("Value error, ")
    return InvalidRequest(f"Invalid {param}: {message}", param=param)
