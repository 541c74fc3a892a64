"""The one source of "now". Tests and `portal clock advance` move it; nothing else asks the OS."""

from __future__ import annotations

from datetime import UTC, datetime

_offset_seconds = 0


def now() -> datetime:
    return datetime.fromtimestamp(timestamp(), UTC)


def timestamp() -> int:
    """Unix seconds: how times are stored (Stripe-shaped `created`, period bounds)."""
    return int(datetime.now(UTC).timestamp()) + _offset_seconds


def advance(seconds: int) -> None:
    global _offset_seconds
    _offset_seconds += seconds


def reset() -> None:
    global _offset_seconds
    _offset_seconds = 0


def to_datetime(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
