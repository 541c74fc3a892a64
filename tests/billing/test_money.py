"""Properties of the money math: exact, bounded, no drift."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from portal.billing import money

amounts = st.integers(min_value=0, max_value=10**9)
starts = st.integers(min_value=1_600_000_000, max_value=1_900_000_000)
lengths = st.integers(min_value=1, max_value=3 * 366 * 86400)


@given(amounts, starts, lengths, st.floats(min_value=-0.5, max_value=1.5))
def test_unused_part_is_bounded_and_exact_to_half_a_unit(
    amount: int, start: int, length: int, where: float
) -> None:
    end = start + length
    at = start + int(length * where)
    unused = money.unused_part(amount, start, end, at)
    assert 0 <= unused <= amount  # a credit never exceeds what was paid
    clamped = min(max(at, start), end)
    exact = Fraction(amount * (end - clamped), length)
    assert abs(unused - exact) <= Fraction(1, 2)


@given(amounts, starts, lengths, st.integers(min_value=0, max_value=10**6))
def test_unused_part_never_grows_as_time_passes(
    amount: int, start: int, length: int, step: int
) -> None:
    end = start + length
    earlier = money.unused_part(amount, start, end, start + length // 3)
    later = money.unused_part(amount, start, end, start + length // 3 + step)
    assert later <= earlier


@given(amounts, starts, lengths)
def test_whole_period_and_nothing(amount: int, start: int, length: int) -> None:
    assert money.unused_part(amount, start, start + length, start) == amount
    assert money.unused_part(amount, start, start + length, start + length) == 0


@given(amounts, st.integers(min_value=1, max_value=100))
def test_percent_discounts_round_to_the_nearest_unit(amount: int, percent: int) -> None:
    off = money.discount_for(amount, percent_off=percent, amount_off=None)
    assert 0 <= off <= amount
    assert abs(off - Fraction(amount * percent, 100)) <= Fraction(1, 2)
    # A credit of the same amount is reduced by exactly as much.
    assert money.discount_for(-amount, percent_off=percent, amount_off=None) == -off


@given(st.integers(min_value=-(10**6), max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_amount_discounts_never_exceed_the_subtotal(subtotal: int, amount_off: int) -> None:
    off = money.discount_for(subtotal, percent_off=None, amount_off=amount_off)
    assert 0 <= off <= max(0, subtotal)


@given(
    st.integers(min_value=-(10**7), max_value=10**7), st.integers(min_value=-(10**7), max_value=0)
)
def test_balance_carries_credit_without_losing_a_unit(total: int, balance: int) -> None:
    due, new_balance = money.apply_balance(total, balance)
    assert due >= 0 and new_balance <= 0
    assert due + new_balance == total + balance


def test_months_clamp_to_the_end_of_shorter_months() -> None:
    jan31 = 1_801_353_600  # 2027-01-31T00:00:00Z
    assert money.add_interval(jan31, "month", 1) == 1_803_772_800  # 2027-02-28
    assert money.add_interval(jan31, "year", 1) == 1_832_889_600  # 2028-01-31
    assert money.add_interval(jan31, "week", 2) == jan31 + 14 * 86400
