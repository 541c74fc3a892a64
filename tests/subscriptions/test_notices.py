"""One-time notices: set by the action that succeeded, shown once by the next page."""

from __future__ import annotations

from httpx import AsyncClient, Response

from portal.db import Database
from portal.security import signer
from tests.auth.helpers import post_form
from tests.conftest import SECRET, html
from tests.shop import Shop
from tests.subscriptions.helpers import confirm, preview, subscription_row


def notice_text(response: Response) -> str | None:
    node = html(response).maybe("[role=status]")
    return None if node is None else str(node.text(separator=" ", strip=True))


class TestNotices:
    async def test_the_query_string_shows_nothing(self, shop: Shop, client: AsyncClient) -> None:
        await shop.customer()
        for notice in ("plan_changed", "updated", "kept", "<b>hi</b>"):
            page = await client.get("/p/", params={"notice": notice})
            assert page.status_code == 200
            assert notice_text(page) is None
            assert html(page).maybe(".alert") is None

    async def test_a_notice_shows_once_after_its_action(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        data = await shop.customer(update={"proration_behavior": "always_invoice"})
        done = await confirm(
            client, await preview(client, data["subscription"], shop.prices["pro_month"]["id"])
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/p/"
        first = await client.get(done.headers["location"])
        text = notice_text(first)
        assert text is not None and "Your plan has been changed" in text
        assert notice_text(await client.get("/p/")) is None  # a reload: gone

    async def test_keeping_the_current_plan(
        self, shop: Shop, client: AsyncClient, db: Database
    ) -> None:
        data = await shop.customer(
            plan="pro_month",
            update={"schedule_at_period_end": {"conditions": [{"type": "decreasing_item_amount"}]}},
        )
        sub = data["subscription"]
        await confirm(client, await preview(client, sub, shop.prices["basic_month"]["id"]))
        scheduled = notice_text(await client.get("/p/"))
        assert scheduled is not None and "end of the current period" in scheduled
        kept = await post_form(
            client,
            "/p/",
            f"/p/subscriptions/{sub['id']}/scheduled-change",
            version=str((await subscription_row(db, sub["id"]))["version"]),
        )
        assert kept.headers["location"] == "/p/"
        assert notice_text(await client.get("/p/")) == "You are keeping your current plan."
        assert notice_text(await client.get("/p/")) is None

    async def test_a_forged_cookie_shows_nothing(self, shop: Shop, client: AsyncClient) -> None:
        await shop.customer()
        forgeries = [
            "plan_changed",  # unsigned
            signer("another-secret-that-is-long-enough-000000", "notice").dumps("plan_changed"),
            signer(SECRET, "notice").dumps("Your card was stolen, call +1 555 0100"),
            signer(SECRET, "login").dumps("plan_changed"),  # signed for something else
        ]
        for value in forgeries:
            client.cookies.set("portal_notice", value)
            page = await client.get("/p/")
            assert page.status_code == 200
            assert notice_text(page) is None, value
            assert html(page).maybe(".alert") is None

    async def test_the_notice_is_in_the_language_of_the_page(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        data = await shop.customer(update={"proration_behavior": "always_invoice"})
        await confirm(
            client, await preview(client, data["subscription"], shop.prices["pro_month"]["id"])
        )
        text = notice_text(await client.get("/p/", params={"locale": "de"}))
        assert text is not None and "Ihr Tarif wurde gewechselt" in text


class TestTestMode:
    async def test_a_paid_plan_change_says_no_money_was_taken(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        data = await shop.customer(update={"proration_behavior": "always_invoice"})
        done = await confirm(
            client, await preview(client, data["subscription"], shop.prices["pro_month"]["id"])
        )
        notice = html(await client.get(done.headers["location"])).css_first("[role=status]")
        assert notice is not None
        assert "Your plan has been changed" in notice.text()
        assert "no money was taken" in notice.text()

    async def test_a_free_plan_change_says_nothing_about_money(
        self, shop: Shop, client: AsyncClient
    ) -> None:
        data = await shop.customer()
        done = await confirm(
            client, await preview(client, data["subscription"], shop.prices["pro_month"]["id"])
        )
        notice = html(await client.get(done.headers["location"])).css_first("[role=status]")
        assert notice is not None and "money" not in notice.text()
