"""Pausing payments: the choice of length, the void invoices, resuming early and on the date."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import select

from portal import clock
from portal.billing import renewals
from portal.db import Database
from portal.payments.processor import TestProcessor
from portal.tables import processor_charges
from tests.billing.test_renewals import cycle_invoices
from tests.cancellation.conftest import (
    cancel_feature,
    hidden_fields,
    mails,
    row,
    subscription_events,
)
from tests.conftest import html
from tests.shop import DAY, Shop


def pause_url(sub: dict[str, Any]) -> str:
    return f"/p/subscriptions/{sub['id']}/pause"


async def pause(client: AsyncClient, sub: dict[str, Any], days: int | str) -> Response:
    page = await client.get(pause_url(sub))
    assert page.status_code == 200, page.text
    form = html(page).css_first("#pause-form")
    data = hidden_fields(form)
    return await client.post(str(form.attributes["action"]), data={**data, "days": str(days)})


class TestPause:
    async def test_a_pause_over_a_renewal_voids_that_invoice_and_resumes_on_the_date(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(more_features=cancel_feature())
        sub = data["subscription"]
        page = html(await client.get(pause_url(sub)))
        lengths = [str(i.attributes["value"]) for i in page.css("input[name=days]")]
        assert lengths == ["7", "14", "30", "60", "90"]
        assert "1 invoice is skipped" in page.text()  # 30 days cover the renewal in 20
        now = clock.timestamp()
        assert (await pause(client, sub, 30)).status_code == 303

        paused = await row(db, sub["id"])
        assert paused["pause_collection"] == {"behavior": "void", "resumes_at": now + 30 * DAY}
        [event] = await subscription_events(db, sub["id"])
        assert event["previous_attributes"] == {"pause_collection": None}
        assert event["data"]["pause_collection"]["behavior"] == "void"
        assert [m["template"] for m in await mails(db)] == ["subscription_paused"]
        overview = html(await client.get("/p/"))
        assert "Paused until" in overview.css_first(".when").text()
        assert overview.maybe(".next-invoice") is None
        assert overview.maybe("a[href$='/pause']") is None

        clock.advance(20 * DAY)  # the renewal falls in the pause
        await renewals.run_due(db, TestProcessor(db))
        [voided] = await cycle_invoices(db, sub["id"])
        assert voided["status"] == "void" and voided["period_start"] == sub["current_period_end"]
        assert await db.fetch_all(select(processor_charges)) == []
        clock.advance(10 * DAY - 1)
        await renewals.run_due(db, TestProcessor(db))
        assert (await row(db, sub["id"]))["pause_collection"] is not None
        clock.advance(1)  # the date: the clock resumes it
        await renewals.run_due(db, TestProcessor(db))
        assert (await row(db, sub["id"]))["pause_collection"] is None
        clock.advance(25 * DAY)  # the next renewal is charged again
        await renewals.run_due(db, TestProcessor(db))
        assert [i["status"] for i in await cycle_invoices(db, sub["id"])] == ["void", "paid"]

    async def test_resuming_early_invoices_the_next_renewal(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(more_features=cancel_feature())
        sub = data["subscription"]
        await pause(client, sub, 60)
        overview = html(await client.get("/p/"))
        resume = overview.css_first(".subscription-actions form[action$='/resume']")
        fields = hidden_fields(resume)
        assert (await client.post(str(resume.attributes["action"]), data=fields)).status_code == 303
        resumed = await row(db, sub["id"])
        assert resumed["pause_collection"] is None
        [event] = [
            e
            for e in await subscription_events(db, sub["id"])
            if e["data"]["pause_collection"] is None
        ]
        assert event["previous_attributes"]["pause_collection"]["behavior"] == "void"
        assert "Next invoice" in html(await client.get("/p/")).css_first(".when").text()
        again = await client.post(str(resume.attributes["action"]), data=fields)
        assert again.status_code == 409 and "Payments are not paused" in again.text
        clock.advance(20 * DAY)
        await renewals.run_due(db, TestProcessor(db))
        assert [i["status"] for i in await cycle_invoices(db, sub["id"])] == ["paid"]


class TestRefusals:
    async def test_lengths_outside_the_allowed_range_are_refused(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        features = cancel_feature()
        features["subscription_pause"] = {"enabled": True, "maximum_days": 21}
        data = await shop.customer(more_features=features)
        sub = data["subscription"]
        page = html(await client.get(pause_url(sub)))
        assert [str(i.attributes["value"]) for i in page.css("input[name=days]")] == [
            "7",
            "14",
            "21",
        ]
        for days in (30, 0, "abc", 10**30):
            refused = await pause(client, sub, days)
            assert refused.status_code == 400, days
            assert "Choose a pause of 1 to 21 days." in refused.text
        assert (await row(db, sub["id"]))["pause_collection"] is None
        assert await subscription_events(db, sub["id"]) == []

    async def test_past_due_trialing_ending_and_paused_subscriptions_say_why(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        now = clock.timestamp()
        cases: list[tuple[dict[str, Any], str]] = [
            ({"status": "past_due"}, "A payment is overdue."),
            (
                {"status": "trialing", "trial_end": now + 20 * DAY},
                "Your trial is still running",
            ),
            ({"cancel_at_period_end": True}, "This subscription is set to end"),
            (
                {"pause_collection": {"behavior": "void", "resumes_at": now + 9 * DAY}},
                "Payments are already paused until",
            ),
        ]
        for subscription, message in cases:
            data = await shop.customer(more_features=cancel_feature(), subscription=subscription)
            refused = await client.get(pause_url(data["subscription"]))
            assert refused.status_code in (403, 409) and message in refused.text, message
            assert html(await client.get("/p/")).maybe("a[href$='/pause']") is None
        disabled = cancel_feature()
        disabled["subscription_pause"] = {"enabled": False}
        data = await shop.customer(more_features=disabled)
        refused = await client.get(pause_url(data["subscription"]))
        assert refused.status_code == 403 and "Contact Tessellate" in refused.text

    async def test_a_double_submit_pauses_once(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(more_features=cancel_feature())
        sub = data["subscription"]
        page = await client.get(pause_url(sub))
        form = html(page).css_first("#pause-form")
        fields = hidden_fields(form)
        first = await client.post(pause_url(sub), data={**fields, "days": "14"})
        second = await client.post(pause_url(sub), data={**fields, "days": "30"})
        assert first.status_code == 303 and second.status_code == 409
        assert (await row(db, sub["id"]))["pause_collection"]["resumes_at"] == (
            clock.timestamp() + 14 * DAY
        )
        assert len(await subscription_events(db, sub["id"])) == 1
