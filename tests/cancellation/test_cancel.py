"""Cancelling: the steps, the money, the reason, the retention offer, undo, and refusals."""

from __future__ import annotations

import random

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from portal import clock
from portal.billing import renewals
from portal.db import Database
from portal.payments.processor import TestProcessor
from portal.tables import coupons, customers, discounts, invoice_lines, invoices
from tests.cancellation.conftest import (
    cancel_feature,
    cancel_url,
    hidden_fields,
    mails,
    retention_coupon,
    row,
    shown_step,
    step,
    submit,
    subscription_events,
)
from tests.conftest import html
from tests.shop import DAY, Shop
from tests.subscriptions.helpers import confirm, preview


class TestAtPeriodEnd:
    async def test_with_a_reason_it_ends_at_the_period_end_and_can_be_undone(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(more_features=cancel_feature())
        sub = data["subscription"]
        before = await row(db, sub["id"])
        first = await step(client, sub)
        assert shown_step(first) == "reason"
        assert "You can use it until" in html(first).css_first(".consequences").text()
        confirm_page = await step(
            client, sub, step="offer", reason="too_expensive", comment="  Too dear for us  "
        )
        assert shown_step(confirm_page) == "confirm"  # no retention coupon: no offer step
        done = await submit(client, confirm_page)
        assert done.status_code == 303 and done.headers["location"] == "/p/"

        after = await row(db, sub["id"])
        assert after["cancel_at_period_end"] and after["status"] == "active"
        assert after["canceled_at"] == clock.timestamp()
        assert after["cancellation_details"] == {
            "reason": "cancellation_requested",
            "feedback": "too_expensive",
            "comment": "Too dear for us",
        }
        [event] = await subscription_events(db, sub["id"])
        assert event["type"] == "customer.subscription.updated"
        assert event["data"]["cancel_at_period_end"] is True
        assert event["data"]["cancellation_details"]["feedback"] == "too_expensive"
        assert event["previous_attributes"] == {
            "cancel_at_period_end": False,
            "canceled_at": None,
            "cancellation_details": None,
        }
        [mail] = await mails(db)
        assert mail["template"] == "subscription_canceled"
        assert mail["to_address"] == data["customer"]["email"]

        overview = html(await client.get("/p/"))
        assert "Ends on" in overview.css_first(".when").text()
        keep = overview.css_first(".subscription-actions form")
        assert "cancel/undo" in str(keep.attributes["action"])
        assert overview.maybe("a[href$='/cancel']") is None  # nothing left to cancel

        undone = await client.post(
            str(keep.attributes["action"]),
            data=hidden_fields(keep),
        )
        assert undone.status_code == 303
        restored = await row(db, sub["id"])
        unchanged = ("cancel_at_period_end", "canceled_at", "cancellation_details", "status")
        assert {k: restored[k] for k in unchanged} == {k: before[k] for k in unchanged}
        assert restored["version"] == before["version"] + 2
        [kept] = [
            e
            for e in await subscription_events(db, sub["id"])
            if e["data"]["cancel_at_period_end"] is False
        ]
        assert kept["data"]["cancel_at_period_end"] is False
        assert kept["previous_attributes"]["cancel_at_period_end"] is True
        assert [m["template"] for m in await mails(db)][-1] == "subscription_kept"
        assert html(await client.get("/p/")).maybe(".ends-on") is None

    async def test_the_billing_clock_ends_it(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(more_features=cancel_feature())
        sub = data["subscription"]
        await submit(client, await step(client, sub, step="confirm"))
        clock.advance(20 * DAY)
        await renewals.run_due(db, TestProcessor(db))
        ended = await row(db, sub["id"])
        assert ended["status"] == "canceled" and ended["ended_at"] == sub["current_period_end"]
        assert (await subscription_events(db, sub["id"]))[-1]["type"] == (
            "customer.subscription.deleted"
        )
        # Nothing was charged for a period that never started.
        charged = await db.fetch_val(
            select(func.count())
            .select_from(invoices)
            .where(invoices.c.subscription_id == sub["id"])
        )
        assert charged == 1  # the imported invoice only

    async def test_undo_after_the_period_end_is_refused(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(more_features=cancel_feature())
        sub = data["subscription"]
        await submit(client, await step(client, sub, step="confirm"))
        version = (await row(db, sub["id"]))["version"]
        clock.advance(20 * DAY)
        await renewals.run_due(db, TestProcessor(db))
        await shop.sign_in_again(data)
        page = html(await client.get("/p/"))
        token = str(page.css_first("[name=csrftoken]").attributes["value"])
        refused = await client.post(
            cancel_url(sub, "/undo"), data={"csrftoken": token, "version": str(version)}
        )
        assert refused.status_code == 409
        assert "There is no cancellation to undo." in refused.text
        assert (await row(db, sub["id"]))["status"] == "canceled"

    async def test_a_trial_runs_to_its_end_without_a_charge(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        now = clock.timestamp()
        data = await shop.customer(
            more_features=cancel_feature(),
            subscription={
                "status": "trialing",
                "trial_end": now + 5 * DAY,
                "current_period_start": now - 9 * DAY,
                "current_period_end": now + 5 * DAY,
            },
        )
        page = await step(client, data["subscription"], step="confirm")
        assert "Your trial continues until" in page.text
        await submit(client, page)
        clock.advance(5 * DAY)
        await renewals.run_due(db, TestProcessor(db))
        ended = await row(db, data["subscription"]["id"])
        assert ended["status"] == "canceled"
        assert (
            await db.fetch_val(
                select(func.count())
                .select_from(invoices)
                .where(
                    invoices.c.subscription_id == data["subscription"]["id"],
                    invoices.c.billing_reason == "subscription_cycle",
                )
            )
            == 0
        )


class TestImmediately:
    @pytest.mark.parametrize("behavior", ["create_prorations", "none"])
    async def test_the_credit_shown_is_the_credit_written(
        self, shop: Shop, client: AsyncClient, db: Database, behavior: str
    ) -> None:
        rng = random.Random(9)
        for _ in range(8):
            data = await shop.customer(
                plan="pro_month",
                quantity=rng.randint(1, 7),
                more_features=cancel_feature(mode="immediately", proration_behavior=behavior),
                later=rng.randint(0, 19 * DAY),
            )
            sub, customer_id = data["subscription"], data["customer"]["id"]
            page = await step(client, sub, step="confirm")
            if behavior == "none":
                assert html(page).maybe(".unused") is None and "is not refunded" in page.text
                assert (await submit(client, page)).status_code == 303
                assert (await row(db, sub["id"]))["status"] == "canceled"
                assert (
                    await db.fetch_val(
                        select(customers.c.balance).where(customers.c.id == customer_id)
                    )
                    == 0
                )
                assert (
                    await db.fetch_all(
                        select(invoices).where(
                            invoices.c.subscription_id == sub["id"],
                            invoices.c.billing_reason == "subscription_update",
                        )
                    )
                    == []
                )
                continue
            shown = int(str(html(page).css_first(".unused").attributes["data-amount"]))
            assert shown > 0
            assert html(page).css_first(".credit").attributes["data-amount"] == str(shown)
            # Confirmed a few minutes later: the credit is the one shown, to the second.
            clock.advance(rng.randint(1, 1800))
            assert (await submit(client, page)).status_code == 303
            ended = await row(db, sub["id"])
            assert ended["status"] == "canceled" and ended["ended_at"] == ended["canceled_at"]
            [final] = await db.fetch_all(
                select(invoices).where(
                    invoices.c.subscription_id == sub["id"],
                    invoices.c.billing_reason == "subscription_update",
                )
            )
            [line] = await db.fetch_all(
                select(invoice_lines).where(invoice_lines.c.invoice_id == final["id"])
            )
            assert line["kind"] == "unused_time" and line["amount"] == -shown
            assert final["total"] == -shown and final["amount_due"] == 0
            assert final["status"] == "paid" and final["number"]
            balance = await db.fetch_val(
                select(customers.c.balance).where(customers.c.id == customer_id)
            )
            assert balance == -shown
            assert (await subscription_events(db, sub["id"]))[-1]["type"] == (
                "customer.subscription.deleted"
            )

    async def test_a_trial_ends_with_it_and_nothing_is_credited(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        now = clock.timestamp()
        data = await shop.customer(
            more_features=cancel_feature(
                mode="immediately", proration_behavior="create_prorations"
            ),
            subscription={"status": "trialing", "trial_end": now + 20 * DAY},
        )
        page = await step(client, data["subscription"], step="confirm")
        assert "Your trial ends as soon as you confirm" in page.text
        assert html(page).maybe(".unused") is None
        await submit(client, page)
        ended = await row(db, data["subscription"]["id"])
        assert ended["status"] == "canceled" and ended["trial_end"] == now
        finals = select(func.count()).where(invoices.c.billing_reason == "subscription_update")
        assert await db.fetch_val(finals.select_from(invoices)) == 0

    async def test_time_paid_at_a_discount_is_credited_at_that_discount(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        now = clock.timestamp()
        data = await shop.customer(
            plan="pro_month",
            more_features=cancel_feature(
                mode="immediately", proration_behavior="create_prorations"
            ),
            coupons=[
                retention_coupon(
                    id="quarter", name="25% off", duration="forever", duration_in_months=None
                )
            ],
        )
        await db.execute(
            discounts.insert().values(
                id="di_quarter",
                customer_id=data["customer"]["id"],
                subscription_id=data["subscription"]["id"],
                coupon_id="quarter",
                start=now - 40 * DAY,
                end=None,
                created=now - 40 * DAY,
            )
        )
        page = html(await step(client, data["subscription"], step="confirm"))
        # 20 of 30 days unused of 30.00 is 20.00 at list price; 25% of that was never paid.
        assert page.css_first(".unused").attributes["data-amount"] == "1500"
        assert page.css_first(".credit").attributes["data-amount"] == "1500"

    async def test_waiting_adjustments_are_invoiced_with_the_credit(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(
            more_features=cancel_feature(mode="immediately", proration_behavior="create_prorations")
        )
        sub = data["subscription"]
        # An upgrade with create_prorations leaves its adjustments for the next invoice.
        upgraded = await confirm(client, await preview(client, sub, shop.prices["pro_month"]["id"]))
        assert upgraded.status_code == 303
        page = await step(client, sub, step="confirm")
        shown = {
            name: int(str(html(page).css_first(f".{name}").attributes["data-amount"]))
            for name in ("unused", "earlier", "credit")
        }
        assert html(page).maybe(".final-due") is None
        await submit(client, page)
        [final] = await db.fetch_all(
            select(invoices).where(
                invoices.c.subscription_id == sub["id"],
                invoices.c.billing_reason == "subscription_update",
            )
        )
        kinds = [
            r["kind"]
            for r in await db.fetch_all(
                select(invoice_lines)
                .where(invoice_lines.c.invoice_id == final["id"])
                .order_by(invoice_lines.c.position)
            )
        ]
        assert kinds == ["unused_time", "unused_time", "remaining_time"]
        # The new plan's unused time, then the upgrade's own adjustments (-6.67 + 20.00).
        assert shown == {"unused": 2000, "earlier": 1333, "credit": 667}
        assert final["total"] == -667 and final["amount_due"] == 0


class TestRetentionOffer:
    async def test_accepting_applies_exactly_the_offered_discount(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(
            plan="pro_month",
            more_features=cancel_feature(retention_coupon="stay25"),
            coupons=[retention_coupon()],
        )
        sub = data["subscription"]
        offer = await step(client, sub, step="offer", reason="too_expensive")
        assert shown_step(offer) == "offer"
        shown = html(offer).css_first(".offer")
        assert "25% off your next 3 invoices." in shown.text()
        assert int(str(shown.attributes["data-amount"])) == 2250
        assert int(str(shown.attributes["data-full"])) == 3000
        accepted = await submit(client, offer)
        assert accepted.status_code == 303
        kept = await row(db, sub["id"])
        assert not kept["cancel_at_period_end"] and kept["retention_offer"] == "accepted"
        assert await db.fetch_val(select(coupons.c.times_redeemed)) == 1
        [event] = await subscription_events(db, sub["id"])
        [discount] = event["data"]["discounts"]  # the subscription as it now is
        coupon = select(discounts.c.coupon_id).where(discounts.c.id == discount)
        assert await db.fetch_val(coupon) == "stay25"
        assert event["previous_attributes"] == {"retention_offer": None, "discounts": []}
        assert "25%" in html(await client.get("/p/")).css_first(".discount").text()

        # The next invoices billed are the ones announced: three at 22.50, then 30.00.
        for _ in range(4):
            clock.advance(31 * DAY)
            await renewals.run_due(db, TestProcessor(db))
        billed = await db.fetch_all(
            select(invoices.c.amount_due)
            .where(
                invoices.c.subscription_id == sub["id"],
                invoices.c.billing_reason == "subscription_cycle",
            )
            .order_by(invoices.c.period_start)
        )
        assert [b["amount_due"] for b in billed] == [2250, 2250, 2250, 3000]
        # Made once: a later cancellation goes straight on.
        await shop.sign_in_again(data)
        assert shown_step(await step(client, sub, step="offer")) == "confirm"

    async def test_declining_continues_and_the_offer_is_not_made_again(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(
            more_features=cancel_feature(retention_coupon="stay25"),
            coupons=[retention_coupon()],
        )
        sub = data["subscription"]
        offer = await step(client, sub, step="offer", reason="unused")
        declined = await client.get(
            cancel_url(sub), params={"step": "confirm", "declined": "1", "reason": "unused"}
        )
        assert shown_step(declined) == "confirm"
        assert shown_step(offer) == "offer"
        await submit(client, declined)
        after = await row(db, sub["id"])
        assert after["cancel_at_period_end"] and after["retention_offer"] == "declined"
        assert await db.fetch_val(select(coupons.c.times_redeemed)) == 0
        overview = html(await client.get("/p/"))
        keep = overview.css_first(".subscription-actions form")
        await client.post(
            str(keep.attributes["action"]),
            data=hidden_fields(keep),
        )
        assert shown_step(await step(client, sub, step="offer")) == "confirm"

    async def test_not_offered_when_it_cannot_be_redeemed_or_would_stack(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        now = clock.timestamp()
        cases = [
            [retention_coupon(max_redemptions=5, times_redeemed=5)],
            [retention_coupon(valid=False)],
            [retention_coupon(redeem_by=now - 1)],
            [retention_coupon(percent_off=None, amount_off=500, currency="usd")],
            [retention_coupon(applies_to={"products": [shop.cat["products"]["hidden"]["id"]]})],
        ]
        for coupon in cases:
            data = await shop.customer(
                more_features=cancel_feature(retention_coupon="stay25"), coupons=coupon
            )
            assert shown_step(await step(client, data["subscription"], step="offer")) == (
                "confirm"
            ), coupon
            await db.execute(coupons.delete())
        # A discount already in force: no second one on top.
        data = await shop.customer(
            more_features=cancel_feature(retention_coupon="stay25"),
            coupons=[retention_coupon(), retention_coupon(id="other", name="Other")],
        )
        await db.execute(
            discounts.insert().values(
                id="di_existing",
                customer_id=data["customer"]["id"],
                subscription_id=data["subscription"]["id"],
                coupon_id="other",
                start=now - DAY,
                end=None,
                created=now - DAY,
            )
        )
        assert shown_step(await step(client, data["subscription"], step="offer")) == "confirm"

    async def test_an_offer_used_up_meanwhile_is_refused(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(
            more_features=cancel_feature(retention_coupon="stay25"),
            coupons=[retention_coupon(max_redemptions=1)],
        )
        offer = await step(client, data["subscription"], step="offer")
        await db.execute(coupons.update().values(times_redeemed=1))
        refused = await submit(client, offer)
        assert refused.status_code == 409
        assert "This offer is no longer available" in refused.text
        assert (await row(db, data["subscription"]["id"]))["retention_offer"] is None


class TestRefusals:
    async def test_double_submit_and_two_tabs_give_one_cancellation(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(more_features=cancel_feature())
        sub = data["subscription"]
        page = await step(client, sub, step="confirm")
        other_tab = await step(client, sub, step="confirm")
        assert (await submit(client, page)).status_code == 303
        again = await submit(client, page)
        assert again.status_code == 403 and "already set to end" in again.text
        assert (await submit(client, other_tab)).status_code == 403
        assert len(await subscription_events(db, sub["id"])) == 1
        assert len(await mails(db)) == 1

    async def test_a_changed_subscription_is_not_cancelled_from_a_stale_page(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(more_features=cancel_feature())
        sub = data["subscription"]
        page = await step(client, sub, step="confirm")
        # Changed in another tab meanwhile.
        assert (
            await confirm(client, await preview(client, sub, shop.prices["pro_month"]["id"]))
        ).status_code == 303
        stale = await submit(client, page)
        assert stale.status_code == 409
        assert not (await row(db, sub["id"]))["cancel_at_period_end"]

    async def test_bad_answers_say_why_and_change_nothing(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(more_features=cancel_feature())
        sub = data["subscription"]
        unknown = await step(client, sub, step="confirm", reason="too_complex")
        assert unknown.status_code == 400 and shown_step(unknown) == "reason"
        assert "Choose one of the reasons offered" in unknown.text
        long = await step(client, sub, step="confirm", comment="x" * 501)
        assert long.status_code == 400 and "Keep it to 500 characters." in long.text
        page = await step(client, sub, step="confirm")
        node = html(page).css_first("#cancel-flow form[method=post]")
        fields = hidden_fields(node)
        posted = await client.post(cancel_url(sub), data={**fields, "comment": "y" * 501})
        assert posted.status_code == 400 and "Keep it to 500 characters." in posted.text
        assert not (await row(db, sub["id"]))["cancel_at_period_end"]
        assert await subscription_events(db, sub["id"]) == []

    async def test_when_cancelling_is_not_offered_the_page_says_why(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(more_features=cancel_feature(enabled=False))
        refused = await step(client, data["subscription"])
        assert refused.status_code == 403 and "Contact Tessellate to cancel it." in refused.text
        assert html(await client.get("/p/")).maybe("a[href$='/cancel']") is None
        data = await shop.customer(
            more_features=cancel_feature(), subscription={"schedule": "sub_sched_1"}
        )
        assert (await step(client, data["subscription"])).status_code == 403
        data = await shop.customer(
            more_features=cancel_feature(),
            subscription={"status": "canceled", "canceled_at": clock.timestamp() - DAY},
        )
        ended = await step(client, data["subscription"])
        assert ended.status_code == 403 and "This subscription has ended" in ended.text


class TestPages:
    async def test_htmx_swaps_the_step_alone(self, shop: Shop, client: AsyncClient) -> None:
        data = await shop.customer(more_features=cancel_feature())
        response = await client.get(
            cancel_url(data["subscription"]),
            params={"step": "offer", "reason": "unused"},
            headers={"hx-request": "true", "hx-target": "cancel-flow"},
        )
        assert response.text.lstrip().startswith('<section id="cancel-flow"')
        assert 'data-step="confirm"' in response.text
        assert "HX-Request" in response.headers["vary"]

    async def test_in_the_customers_language_with_a_mail_in_it(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(more_features=cancel_feature())
        page = await client.get(
            cancel_url(data["subscription"]), params={"step": "confirm", "locale": "fr"}
        )
        assert html(page).css_first("html").attributes["lang"] == "fr"
        await submit(client, page)
        [mail] = await mails(db)
        assert mail["locale"] == "fr" and "abonnement" in mail["subject"]
