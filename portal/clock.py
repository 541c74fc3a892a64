"""The one source of "now". Tests and `portal clock advance` move it; nothing else asks the OS."""

from __future__ import annotations

from datetime import UTC, datetime

_offset_seconds = 0
_frozen_at: int | None = None


def now() -> datetime:
    return datetime.fromtimestamp(timestamp(), UTC)


def timestamp() -> int:
    """Unix seconds: how times are stored (Stripe-shaped `created`, period bounds)."""
    if _frozen_at is not None:
        return _frozen_at
    return int(datetime.now(UTC).timestamp()) + _offset_seconds


def advance(seconds: int) -> None:
    global _offset_seconds, _frozen_at
    if _frozen_at is not None:
        _frozen_at += seconds
    else:
        _offset_seconds += seconds


def set_offset(seconds: int) -> None:
    """Where the test clock stands (see portal/test_clock.py)."""
    global _offset_seconds
    _offset_seconds = seconds


def freeze(at: int | None = None) -> None:
    """Stop time (at `at`, or now) until `reset()`; `advance()` still moves it."""
    global _frozen_at
    _frozen_at = timestamp() if at is None else at


def reset() -> None:
    global _offset_seconds, _frozen_at
    _offset_seconds = 0
    _frozen_at = None


def to_datetime(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
