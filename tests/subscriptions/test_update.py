"""Changing plan and quantity: what is offered, the exact preview, proration, the change."""

from __future__ import annotations

import random
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from portal import clock
from portal.db import Database
from portal.tables import events, invoice_items
from tests.auth.helpers import post_form
from tests.conftest import html
from tests.shop import DAY, Shop, features
from tests.subscriptions.helpers import (
    amounts,
    confirm,
    item_row,
    ledger,
    lines_of,
    new_invoices,
    preview,
    subscription_row,
    update_url,
)


class TestPicker:
    async def test_offers_what_the_configuration_allows(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        data = await shop.customer()
        page = html(await client.get(update_url(data["subscription"])))
        offered = {i.attributes["value"] for i in page.css("input[name=price]")}
        p = shop.prices
        assert offered == {p["basic_month"]["id"], p["pro_month"]["id"]}  # monthly, in EUR
        yearly = html(
            await client.get(update_url(data["subscription"]), params={"interval": "year"})
        )
        assert {i.attributes["value"] for i in yearly.css("input[name=price]")} == {
            p["basic_year"]["id"],
            p["pro_year"]["id"],
            p["basic_month"]["id"],
        }
        current = page.css_first(f"input[value={p['basic_month']['id']}]")
        assert "checked" in current.attributes
        # Only Pro's quantity can change: only Pro has a quantity field.
        fields = page.css("input.quantity-input")
        pro = shop.cat["products"]["pro"]["id"]
        assert [f.attributes["id"] for f in fields] == [f"quantity-{pro}"]
        assert fields[0].attributes["max"] == "10"

    async def test_refuses_what_is_not_offered(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer()
        sub = data["subscription"]
        for price_id in (shop.prices["hidden_month"]["id"], shop.prices["pro_month_usd"]["id"]):
            response = await preview(client, sub, price_id)
            assert response.status_code == 403
            refused = await post_form(
                client, update_url(sub), update_url(sub), price=price_id, quantity="1", version="1"
            )
            assert refused.status_code == 403
        assert (await item_row(db, sub["id"]))["price_id"] == shop.prices["basic_month"]["id"]

    async def test_quantity_outside_the_range_is_refused(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        data = await shop.customer()
        for quantity in (0, 11, -3):
            response = await preview(
                client, data["subscription"], shop.prices["pro_month"]["id"], quantity
            )
            assert response.status_code == 400
            assert "1" in html(response).css_first("#preview [role=alert]").text()

    async def test_quantity_has_a_ceiling_when_the_configuration_sets_none(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        update = features_without_maximum(shop)
        data = await shop.customer(update=update)
        sub = data["subscription"]
        pro = shop.prices["pro_month"]["id"]
        assert (await preview(client, sub, pro, 10_000)).status_code == 200
        for quantity in ("10001", "1" + "0" * 15, "1" + "0" * 20, "9" * 5000, "1e3", "٣"):
            response = await client.get(
                update_url(sub), params={"price": pro, "quantity": quantity}
            )
            assert response.status_code == 400, quantity
            assert "1 to 10,000" in html(response).css_first("#preview [role=alert]").text()
            refused = await post_form(
                client, update_url(sub), update_url(sub), price=pro, quantity=quantity, version="1"
            )
            assert refused.status_code == 400
        assert (await item_row(db, sub["id"]))["price_id"] == shop.prices["basic_month"]["id"]

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"schedule": "sub_sched_x1"}, "schedule"),
            ({"collection_method": "send_invoice"}, "paid by invoice"),
        ],
    )
    async def test_some_subscriptions_cannot_be_changed_and_say_why(
        self, shop: Shop, client: AsyncClient, change: dict[str, str], reason: str
    ) -> None:
        data = await shop.customer(subscription=change)
        home = html(await client.get("/p/"))
        assert home.maybe("#subscriptions a.button") is None
        assert reason in home.css_first("#subscriptions").text()
        response = await client.get(update_url(data["subscription"]))
        assert response.status_code == 403
        assert reason in html(response).css_first("main").text()

    async def test_several_items_or_metered_cannot_be_changed(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        data = await shop.customer(
            subscription={
                "items": {
                    "data": [
                        {"id": "si_multi_a", "price": shop.prices["basic_month"]["id"]},
                        {"id": "si_multi_b", "price": shop.prices["pro_month"]["id"]},
                    ]
                }
            }
        )
        assert (await client.get(update_url(data["subscription"]))).status_code == 403
        assert "several parts" in html(await client.get("/p/")).text()

    async def test_another_customers_subscription_is_a_404(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        other = await shop.customer()
        await shop.customer()
        assert (await client.get(update_url(other["subscription"]))).status_code == 404


def features_without_maximum(shop: Shop) -> dict[str, Any]:
    """The default rules, with Pro's quantity adjustable and no maximum."""
    products = features(shop.cat)["subscription_update"]["products"]
    products[1]["adjustable_quantity"] = {"enabled": True, "minimum": 1}
    return {"products": products}


class TestPreviewEqualsCharge:
    async def test_over_many_random_changes(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        rng = random.Random(20261126)
        coupon = {"id": "TENPC", "percent_off": 10, "duration": "forever", "created": 1}
        for case in range(24):
            behavior = rng.choice(["none", "create_prorations", "always_invoice"])
            plan = rng.choice(["basic_month", "pro_month"])
            target = rng.choice(["basic_month", "pro_month", "basic_year", "pro_year"])
            quantity = rng.randint(1, 10) if target.startswith("pro") else 1
            code = f"CASE{case}" if rng.random() < 0.4 else ""
            data = await shop.customer(
                plan=plan,
                quantity=rng.randint(1, 4) if plan.startswith("pro") else 1,
                update={"proration_behavior": behavior},
                coupons=[coupon],
                promotion_codes=[
                    {
                        "id": f"promo_case{case}",
                        "code": f"CASE{case}",
                        "coupon": "TENPC",
                        "created": 1,
                    }
                ],
                later=rng.randint(0, 19 * DAY),
            )
            sub = data["subscription"]
            shown = await preview(client, sub, shop.prices[target]["id"], quantity, code)
            assert shown.status_code == 200, shown.text
            due_today, next_amount = amounts(shown)
            done = await confirm(client, shown)
            assert done.status_code == 303, done.text
            charged = [i for i in await new_invoices(db, sub["id"])]
            assert sum(i["amount_due"] for i in charged) == due_today, (case, behavior, target)
            for invoice in charged:
                lines = await lines_of(db, invoice["id"])
                assert sum(line["amount"] for line in lines) == invoice["subtotal"]
                assert invoice["total"] == invoice["subtotal"] - invoice["discount"]
            home = html(await client.get("/p/"))
            if next_amount and (await subscription_row(db, sub["id"]))["status"] != "past_due":
                shown_next = home.css_first("#subscriptions .next-invoice")
                assert int(str(shown_next.attributes["data-amount"])) == next_amount, case


class TestProration:
    async def test_none_changes_the_plan_without_charging(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(update={"proration_behavior": "none"})
        sub = data["subscription"]
        shown = await preview(client, sub, shop.prices["pro_month"]["id"], 2)
        assert amounts(shown) == (0, 6000)
        await confirm(client, shown)
        item = await item_row(db, sub["id"])
        assert (item["price_id"], item["quantity"]) == (shop.prices["pro_month"]["id"], 2)
        assert await new_invoices(db, sub["id"]) == []

    async def test_create_prorations_waits_for_the_next_invoice(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer()
        sub = data["subscription"]
        shown = await preview(client, sub, shop.prices["pro_month"]["id"])
        # 20 of 30 days left: -1000 * 2/3 and +3000 * 2/3, then a month of Pro.
        assert amounts(shown) == (0, 3000 - 667 + 2000)
        await confirm(client, shown)
        pending = await db.fetch_all(
            select(invoice_items).where(invoice_items.c.subscription_id == sub["id"])
        )
        assert sorted(p["amount"] for p in pending) == [-667, 2000]
        assert await new_invoices(db, sub["id"]) == []

    async def test_always_invoice_charges_now(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(update={"proration_behavior": "always_invoice"})
        sub = data["subscription"]
        shown = await preview(client, sub, shop.prices["pro_month"]["id"])
        assert amounts(shown) == (1333, 3000)
        done = await confirm(client, shown)
        assert done.headers["location"] == "/p/"
        [invoice] = await new_invoices(db, sub["id"])
        assert (invoice["status"], invoice["amount_paid"]) == ("paid", 1333)
        assert [line["proration"] for line in await lines_of(db, invoice["id"])] == [True, True]

    async def test_the_charge_is_the_preview_minutes_later(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(update={"proration_behavior": "always_invoice"})
        sub = data["subscription"]
        shown = await preview(client, sub, shop.prices["pro_month"]["id"], 7)
        due_today, _ = amounts(shown)
        clock.advance(17 * 60 + 13)  # the customer reads, then confirms
        await confirm(client, shown)
        [invoice] = await new_invoices(db, sub["id"])
        assert invoice["amount_due"] == due_today

    async def test_a_preview_older_than_an_hour_is_refused(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(update={"proration_behavior": "always_invoice"})
        sub = data["subscription"]
        shown = await preview(client, sub, shop.prices["pro_month"]["id"])
        clock.advance(40 * 60)
        await client.get("/p/")  # the session stays alive meanwhile
        clock.advance(21 * 60)
        stale = await confirm(client, shown)
        assert stale.status_code == 409
        assert await new_invoices(db, sub["id"]) == []

    @pytest.mark.parametrize(
        ("last4", "target", "subscription", "reason"),
        [
            ("0341", "pro_month", {}, "declined"),
            ("9995", "basic_year", {}, "insufficient funds"),
            ("0069", "pro_year", {"status": "trialing", "trial_end": 1_900_000_000}, "expired"),
        ],
    )
    async def test_a_declined_payment_changes_nothing(
        self,
        shop: Shop,
        client: AsyncClient,
        db: Database,
        last4: str,
        target: str,
        subscription: dict[str, object],
        reason: str,
    ) -> None:
        data = await shop.customer(
            card_last4=last4,
            update={"proration_behavior": "always_invoice"},
            subscription=subscription,
            coupons=[{"id": "TENOFF", "percent_off": 10, "duration": "once", "created": 1}],
            promotion_codes=[{"id": "promo_ten", "code": "TEN", "coupon": "TENOFF", "created": 1}],
        )
        sub = data["subscription"]
        before = await ledger(db, data["customer"]["id"])
        shown = await preview(client, sub, shop.prices[target]["id"], code="TEN")
        assert amounts(shown)[0] > 0
        done = await confirm(client, shown)
        assert done.status_code == 402
        assert reason in html(done).css_first("[role=alert]").text()
        checked = html(done).css_first("input[name=price][checked]")
        assert checked.attributes["value"] == shop.prices["basic_month"]["id"]
        assert await ledger(db, data["customer"]["id"]) == before
        home = html(await client.get("/p/"))
        assert home.maybe(".badge-past_due") is None

    async def test_a_new_interval_starts_a_new_period(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer()
        sub = data["subscription"]
        shown = await preview(client, sub, shop.prices["basic_year"]["id"])
        assert amounts(shown)[0] == 10000 - 667
        await confirm(client, shown)
        row = await subscription_row(db, sub["id"])
        assert row["current_period_start"] == clock.timestamp()
        assert row["current_period_end"] - row["current_period_start"] >= 365 * DAY

    async def test_events_record_the_change(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(update={"proration_behavior": "always_invoice"})
        await confirm(
            client, await preview(client, data["subscription"], shop.prices["pro_month"]["id"])
        )
        kinds = [r["type"] for r in await db.fetch_all(select(events.c.type))]
        assert {"customer.subscription.updated", "invoice.created", "invoice.paid"} <= set(kinds)
        updated = await db.fetch_one(
            select(events).where(events.c.type == "customer.subscription.updated")
        )
        assert updated is not None
        assert updated["previous_attributes"]["price"] == shop.prices["basic_month"]["id"]


class TestScheduledDowngrades:
    async def test_a_cheaper_plan_waits_for_the_period_end(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(
            plan="pro_month",
            update={"schedule_at_period_end": {"conditions": [{"type": "decreasing_item_amount"}]}},
        )
        sub = data["subscription"]
        shown = await preview(client, sub, shop.prices["basic_month"]["id"])
        assert amounts(shown) == (0, 1000)
        done = await confirm(client, shown)
        assert done.headers["location"] == "/p/"
        assert (await item_row(db, sub["id"]))["price_id"] == shop.prices["pro_month"]["id"]
        home = html(await client.get("/p/"))
        assert "Basic" in home.css_first(".pending-change").text()
        kept = await post_form(
            client,
            "/p/",
            f"/p/subscriptions/{sub['id']}/scheduled-change",
            version=str((await subscription_row(db, sub["id"]))["version"]),
        )
        assert kept.status_code == 303
        assert (await subscription_row(db, sub["id"]))["pending_update"] is None


class TestTrials:
    @pytest.mark.parametrize(
        ("behavior", "status", "invoiced"),
        [("end_trial", "active", True), ("continue_trial", "trialing", False)],
    )
    async def test_a_change_during_a_trial(
        self,
        shop: Shop,
        client: AsyncClient,
        db: Database,
        behavior: str,
        status: str,
        invoiced: bool,
    ) -> None:
        now = clock.timestamp()
        data = await shop.customer(
            update={"trial_update_behavior": behavior},
            invoices=0,
            subscription={
                "status": "trialing",
                "trial_end": now + DAY,
                "current_period_end": now + DAY,
            },
        )
        sub = data["subscription"]
        await confirm(client, await preview(client, sub, shop.prices["pro_month"]["id"]))
        assert (await subscription_row(db, sub["id"]))["status"] == status
        assert bool(await new_invoices(db, sub["id"])) is invoiced


class TestConcurrency:
    async def test_a_double_submit_gives_one_change(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(update={"proration_behavior": "always_invoice"})
        sub = data["subscription"]
        shown = await preview(client, sub, shop.prices["pro_month"]["id"])
        first, second = await confirm(client, shown), await confirm(client, shown)
        assert first.status_code == 303
        assert second.status_code == 409
        assert html(second).maybe("[role=alert]") is not None
        assert len(await new_invoices(db, sub["id"])) == 1
        count = await db.fetch_val(
            select(func.count())
            .select_from(events)
            .where(events.c.type == "customer.subscription.updated")
        )
        assert count == 1


class TestHtmx:
    async def test_the_preview_is_a_partial(self, shop: Shop, client: AsyncClient) -> None:
        data = await shop.customer()
        response = await preview(
            client,
            data["subscription"],
            shop.prices["pro_month"]["id"],
            headers={"hx-request": "true", "hx-target": "preview"},
        )
        assert response.text.lstrip().startswith('<section id="preview"')
        assert "HX-Request" in response.headers["vary"]


class TestOverview:
    async def test_shows_trial_cancellation_pause_and_metered(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        now = clock.timestamp()
        await shop.customer(subscription={"status": "trialing", "trial_end": now + 5 * DAY})
        assert "Your trial ends on" in html(await client.get("/p/")).css_first(".when").text()
        await shop.customer(subscription={"cancel_at_period_end": True})
        page = html(await client.get("/p/"))
        assert "Ends on" in page.css_first(".when").text()
        await shop.customer(
            subscription={"pause_collection": {"behavior": "void", "resumes_at": now + 9 * DAY}}
        )
        assert "Paused until" in html(await client.get("/p/")).css_first(".when").text()

    async def test_metered_subscriptions_cannot_be_changed(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        from tests import factories

        metered = factories.price(
            shop.cat["products"]["pro"]["id"],
            unit_amount=5,
            recurring={"interval": "month", "usage_type": "metered"},
        )
        shop.prices["metered"] = metered
        data = await shop.customer(plan="metered")
        assert (await client.get(update_url(data["subscription"]))).status_code == 403
        assert "billed by usage" in html(await client.get("/p/")).css_first("#subscriptions").text()
