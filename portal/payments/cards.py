"""What the portal knows of a saved card: its expiry."""

from __future__ import annotations

from datetime import date

from portal.db import Row


def last_month(method: Row) -> int | None:
    """The card's last valid month as a count of months (cards are valid through it); None
    without an expiry."""
    if not method.get("exp_year") or not method.get("exp_month"):
        return None
    return int(method["exp_year"]) * 12 + int(method["exp_month"]) - 1


def month_of(day: date) -> int:
    return day.year * 12 + day.month - 1


def expired(method: Row, today: date) -> bool:
    last = last_month(method)
    return last is not None and last < month_of(today)


def expires_soon(method: Row, today: date) -> bool:
    """It runs out at the end of this month or the next."""
    last = last_month(method)
    return last is not None and month_of(today) <= last <= month_of(today) + 1
