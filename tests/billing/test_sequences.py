"""Random sequences of changes, scheduled downgrades, discounts, trials, cancellations and
renewals: at every renewal the invoice the billing clock writes is the one the overview
announced just before it, and after every change the overview announces what the preview did.

200 seeded sequences run on each database (SEQUENCES overrides the count)."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from portal import clock
from portal.account import service as account
from portal.billing import renewals
from portal.billing.upcoming import Upcoming
from portal.db import Database, Row
from portal.errors import PortalError
from portal.merchant import queries as configurations
from portal.merchant.configuration import Configuration
from portal.payments.errors import PaymentDeclined
from portal.payments.processor import TestProcessor
from portal.subscriptions import service
from portal.tables import invoices, subscriptions
from tests import factories
from tests.shop import catalog, features

SEQUENCES = int(os.environ.get("SEQUENCES", "200"))
START = 1_800_000_000
DAY = 86400

COUPONS = [
    {"id": "SEQ_ONCE", "percent_off": 10, "duration": "once", "created": 1},
    {
        "id": "SEQ_THREE",
        "percent_off": 20,
        "duration": "repeating",
        "duration_in_months": 3,
        "created": 1,
    },
    {
        "id": "SEQ_ONE",
        "percent_off": 50,
        "duration": "repeating",
        "duration_in_months": 1,
        "created": 1,
    },
    {
        "id": "SEQ_FOREVER",
        "amount_off": 700,
        "currency": "eur",
        "duration": "forever",
        "created": 1,
    },
]
CODES = {"ONCE10": "SEQ_ONCE", "THREE20": "SEQ_THREE", "ONE50": "SEQ_ONE", "EVER7": "SEQ_FOREVER"}


@dataclass
class Sequence:
    db: Database
    rng: random.Random
    cat: dict[str, Any]
    configuration: Configuration
    customer_id: str
    sub_id: str
    steps: list[str]
    renewals: int = 0

    async def subscription(self) -> Row:
        row = await self.db.fetch_one(
            select(subscriptions).where(subscriptions.c.id == self.sub_id)
        )
        assert row is not None
        return row

    async def announced(self) -> Upcoming | None:
        overview = await account.overview(self.db, self.customer_id, self.configuration)
        [view] = [v for v in overview.subscriptions if v.subscription["id"] == self.sub_id]
        return view.next

    def fail(self, message: str) -> str:
        return f"{message}; steps: {' → '.join(self.steps)}"


async def seed_catalog(db: Database) -> dict[str, Any]:
    cat = catalog()
    await factories.seed(
        db,
        products=list(cat["products"].values()),
        prices=list(cat["prices"].values()),
        coupons=COUPONS,
        promotion_codes=[
            {"id": f"promo_{code.lower()}", "code": code, "coupon": coupon, "created": 1}
            for code, coupon in CODES.items()
        ],
    )
    return cat


async def start(db: Database, cat: dict[str, Any], rng: random.Random, n: int) -> Sequence:
    clock.freeze(START + n * 7 * DAY)
    now = clock.timestamp()
    conditions = rng.choice(
        [[], ["decreasing_item_amount"], ["decreasing_item_amount", "shortening_interval"]]
    )
    config = factories.configuration(
        is_default=False,
        features=features(
            cat,
            proration_behavior=rng.choice(["none", "create_prorations", "always_invoice"]),
            trial_update_behavior=rng.choice(["end_trial", "continue_trial"]),
            schedule_at_period_end={"conditions": [{"type": c} for c in conditions]},
        ),
    )
    cus = factories.customer(balance=rng.choice([0, 0, 0, -1500]))
    card = factories.card(
        cus["id"],
        card={
            "brand": "visa",
            "exp_month": 12,
            "exp_year": 2099,
            "last4": rng.choice(["4242"] * 5 + ["0341"]),
        },
    )
    cus["invoice_settings"] = {"default_payment_method": card["id"]}
    plan = rng.choice(["basic_month", "pro_month", "pro_month", "basic_year"])
    elapsed = rng.randint(0, 25) * DAY
    extra: dict[str, Any] = {}
    if rng.random() < 0.25:
        extra = {
            "status": "trialing",
            "trial_end": now + 14 * DAY,
            "current_period_start": now,
            "current_period_end": now + 14 * DAY,
        }
    else:
        length = 365 if plan.endswith("year") else 30
        extra = {
            "current_period_start": now - elapsed,
            "current_period_end": now - elapsed + length * DAY,
        }
    sub = factories.subscription(
        cus["id"],
        cat["prices"][plan]["id"],
        quantity=rng.randint(1, 4) if plan.startswith("pro") else 1,
        **extra,
    )
    await factories.seed(
        db,
        portal_configurations=[config],
        customers=[cus],
        payment_methods=[card],
        subscriptions=[sub],
    )
    configuration = await configurations.by_id(db, config["id"])
    assert configuration is not None
    return Sequence(db, rng, cat, configuration, cus["id"], sub["id"], [f"start {plan}"])


async def change(seq: Sequence) -> None:
    """A plan change as the customer makes it: the preview, then confirming it as shown."""
    rng, db = seq.rng, seq.db
    clock.advance(60)  # a customer takes a moment between two changes
    sub = await seq.subscription()
    if sub["status"] not in service.CHANGEABLE_STATUSES:
        return
    offer = await service.offer(db, seq.configuration, seq.customer_id, seq.sub_id)
    target = rng.choice(["basic_month", "pro_month", "basic_year", "pro_year"])
    price = seq.cat["prices"][target]
    quantity = rng.randint(1, 5) if target.startswith("pro") else 1
    code = rng.choice(["", "", "", *CODES])
    request = service.Request(price["id"], quantity, code)
    seq.steps.append(f"change to {quantity} x {target} {code}".strip())
    try:
        plan = await service.preview(db, offer, request)
        request = service.Request(price["id"], quantity, code, plan.at)
        await service.apply(db, TestProcessor(db), offer, request, int(sub["version"]))
    except PaymentDeclined:
        seq.steps.append("declined")
        return
    except PortalError as error:
        seq.steps.append(type(error).__name__)
        return
    now = await seq.announced()
    expected = plan.next
    assert _amounts(now) == _amounts(expected), seq.fail(
        f"after the change the overview announces {_amounts(now)}, the preview said "
        f"{_amounts(expected)}"
    )


async def keep_plan(seq: Sequence) -> None:
    sub = await seq.subscription()
    if sub["pending_update"]:
        seq.steps.append("keep the current plan")
        await service.keep_current_plan(seq.db, seq.customer_id, seq.sub_id, int(sub["version"]))


async def cancel_or_resume(seq: Sequence) -> None:
    sub = await seq.subscription()
    ending = not sub["cancel_at_period_end"]
    seq.steps.append("cancel at period end" if ending else "don't cancel")
    await seq.db.execute(
        update(subscriptions)
        .where(subscriptions.c.id == seq.sub_id)
        .values(cancel_at_period_end=ending, version=sub["version"] + 1)
    )


async def time_passes(seq: Sequence) -> None:
    sub = await seq.subscription()
    left = int(sub["current_period_end"]) - clock.timestamp()
    if left > 2:
        step = seq.rng.randint(1, left - 1)
        seq.steps.append(f"{step // 3600} h pass")
        clock.advance(step)


async def renew(seq: Sequence) -> bool:
    """Advance to the period end and let the billing clock work; False once it has ended."""
    sub = await seq.subscription()
    if sub["status"] not in ("active", "trialing", "past_due"):
        return False
    announced = await seq.announced()
    at = int(sub["current_period_end"])
    seq.steps.append(f"renewal {seq.renewals + 1}")
    clock.freeze(at + seq.rng.randint(1, 3 * 3600))
    await renewals.run_due(seq.db, TestProcessor(seq.db))
    written = await seq.db.fetch_one(
        select(invoices).where(
            invoices.c.subscription_id == seq.sub_id,
            invoices.c.billing_reason == "subscription_cycle",
            invoices.c.period_start == at,
        )
    )
    announced_draft = announced.draft if announced else None
    if announced_draft is None:
        assert written is None, seq.fail(f"no invoice was announced, {written} was written")
    else:
        assert written is not None, seq.fail(f"{_amounts(announced)} announced, none written")
        wrote = (written["subtotal"], written["discount"], written["total"], written["amount_due"])
        assert wrote == _amounts(announced)[1:], seq.fail(
            f"announced {_amounts(announced)}, written {wrote}"
        )
    seq.renewals += 1
    return True


def _amounts(upcoming: Upcoming | None) -> tuple[Any, ...]:
    if upcoming is None or upcoming.draft is None:
        return (None, None, None, None, None)
    draft = upcoming.draft
    return (upcoming.at, draft.subtotal, draft.discount, draft.total, draft.amount_due)


async def run(db: Database, seq: Sequence) -> None:
    steps = [change, change, change, keep_plan, cancel_or_resume, time_passes]
    for _ in range(seq.rng.randint(1, 4)):
        await seq.rng.choice(steps)(seq)
    while seq.renewals < 3:
        if not await renew(seq):
            break
        for _ in range(seq.rng.randint(0, 2)):
            await seq.rng.choice(steps)(seq)
    # Out of the way of the next sequences: this one ends here.
    await db.execute(
        update(subscriptions)
        .where(subscriptions.c.id == seq.sub_id)
        .values(status="canceled", canceled_at=clock.timestamp())
    )
    await db.execute(
        update(invoices)
        .where(invoices.c.customer_id == seq.customer_id)
        .values(next_payment_attempt=None)
    )


async def test_what_is_announced_is_billed_over_random_sequences(db: Database) -> None:
    cat = await seed_catalog(db)
    renewed = 0
    for n in range(SEQUENCES):
        rng = random.Random(n)
        seq = await start(db, cat, rng, n)
        await run(db, seq)
        renewed += seq.renewals
    assert renewed >= 2 * SEQUENCES * 0.8  # most sequences see two renewals or more
