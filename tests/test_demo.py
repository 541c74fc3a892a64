"""The demo data stays as it was written, whatever day it is loaded on."""

from __future__ import annotations

from portal.cli import DEMO_ANCHOR, shift_times


def test_the_demo_moves_card_expiry_dates_with_its_other_dates() -> None:
    card = {
        "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2026},
        "created": DEMO_ANCHOR,
    }
    later = shift_times(card, 60 * 86400)
    assert later["card"] == {"brand": "visa", "last4": "4242", "exp_month": 2, "exp_year": 2027}
    assert later["created"] == DEMO_ANCHOR + 60 * 86400
    assert shift_times(card, 0) == card
