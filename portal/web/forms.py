"""Reading form and query values the way every route does."""

from __future__ import annotations

from starlette.datastructures import FormData, QueryParams


def integer(values: QueryParams | FormData, name: str, default: int = -1) -> int:
    """A non-negative whole number, or `default` when the field is missing or not one (a
    version or a moment that cannot be read is then refused by the service)."""
    raw = str(values.get(name) or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else default


def text(values: QueryParams | FormData, name: str) -> str:
    value = values.get(name)
    return value if isinstance(value, str) else ""
