"""Money math in integer minor units: proration, discounts, periods, customer balance.

Pure functions, shared by previews, changes and renewals, so that what a customer is shown is
what they are charged."""

from __future__ import annotations

import calendar
from datetime import timedelta
from typing import NamedTuple

from portal.clock import to_datetime


class Money(NamedTuple):
    """An amount in minor units of a currency, as messages carry it until a page words it."""

    amount: int
    currency: str


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves up (both ≥ 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def unused_part(amount: int, start: int, end: int, at: int) -> int:
    """The share of `amount` (paid for [start, end)) that falls after `at`, to the second.

    0 ≤ result ≤ amount, so a credit is never more than what was paid; the used share is
    `amount - result`, so the two always add up with no rounding drift."""
    if end <= start:
        return 0
    at = min(max(at, start), end)
    return round_half_up(amount * (end - at), end - start)


def percent_of(amount: int, percent: int) -> int:
    return round_half_up(amount * percent, 100)


def discount_for(subtotal: int, *, percent_off: int | None, amount_off: int | None) -> int:
    """What a coupon takes off a subtotal. A percentage applies to a credit as well (negative
    then: time paid for at a discount is credited at that discount); a fixed amount only
    lowers what is owed, and never below nothing."""
    if percent_off is not None:
        off = percent_of(abs(subtotal), percent_off)
        return off if subtotal >= 0 else -off
    return min(amount_off or 0, max(0, subtotal))


def add_interval(ts: int, interval: str, count: int) -> int:
    """`ts` moved on by `count` intervals; month ends clamp (31 Jan + 1 month = 28/29 Feb)."""
    moment = to_datetime(ts)
    if interval == "day":
        return ts + 86400 * count
    if interval == "week":
        return ts + 7 * 86400 * count
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def interval_seconds(interval: str, count: int) -> int:
    """An interval's nominal length, to compare intervals (a year is longer than a month)."""
    days = {"day": 1, "week": 7, "month": 30, "year": 365}[interval]
    return int(timedelta(days=days * count).total_seconds())


def apply_balance(total: int, balance: int) -> tuple[int, int]:
    """(amount due, new customer balance). A negative balance is credit the customer has;
    a negative total adds to it."""
    due = total + balance
    if due >= 0:
        return due, 0
    return 0, due
