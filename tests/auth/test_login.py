"""Signing in through the login link: codes, magic links, throttles, no enumeration."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest
from httpx import AsyncClient

from portal import clock
from portal.auth import codes, queries
from portal.auth.throttles import Throttle
from portal.db import Database
from tests import factories
from tests.auth.helpers import (
    ask_for_code,
    code_in,
    code_mail,
    csrf_token,
    enter_code,
    last_mail,
    magic_path,
    mails_to,
    post_form,
    sign_in,
)
from tests.conftest import html


@pytest.fixture
async def shop(db: Database) -> dict[str, Any]:
    return await factories.customer_with_plan(db, email="Ana.Lopez@Example.com")


def link_of(shop: dict[str, Any]) -> str:
    return str(shop["configuration"]["login_page"]["link_id"])


class TestSignIn:
    async def test_code_from_the_email_opens_the_overview(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        home = await sign_in(client, db, link_of(shop), "ana.lopez@example.COM")
        assert home.status_code == 200
        page = html(home)
        assert page.css_first("#subscriptions h3").text() == "Team plan"
        assert page.maybe(".banner-debug") is None
        assert home.headers["cache-control"] == "no-store"
        before = db.query_count
        assert (await client.get("/p/")).status_code == 200
        assert db.query_count - before <= 4
        assert page.css_first("#page").attributes["hx-history"] == "false"
        back = page.maybe(".back-link")
        assert back is None or str(back.attributes["href"]).startswith("https://")

    async def test_the_mail_is_localized_and_branded(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        client.headers["accept-language"] = "fr-FR"
        mail = await code_mail(client, db, link_of(shop), "ana.lopez@example.com")
        assert mail["locale"] == "fr"
        assert "Tessellate" in str(mail["subject"])
        code = code_in(str(mail["body_text"]))
        assert str(mail["subject"]) == f"Votre code de connexion à Tessellate\xa0: {code}"
        assert '<html lang="fr">' in str(mail["body_html"])
        assert "#7a1fa2" in str(mail["body_html"])
        assert magic_path(str(mail["body_text"])).startswith(f"/p/login/{link_of(shop)}/magic/")
        assert str(mail["body_text"]).count("http://portal.test/p/login/") == 1

    async def test_codes_never_reach_the_logs(
        self,
        client: AsyncClient,
        db: Database,
        shop: dict[str, Any],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        mail = await code_mail(client, db, link_of(shop), "ana.lopez@example.com")
        code = code_in(str(mail["body_text"]))
        await enter_code(client, link_of(shop), code)
        assert code not in caplog.text

    async def test_invalid_email_is_refused_with_the_form_again(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        link = link_of(shop)
        response = await post_form(
            client, f"/p/login/{link}", f"/p/login/{link}", email="not-an-address"
        )
        assert response.status_code == 400
        page = html(response)
        assert page.maybe("[role=alert]") is not None
        assert page.css_first("input#email").attributes["value"] == "not-an-address"
        assert await last_mail(db) is None


class TestWhichCustomer:
    async def test_newest_customer_with_a_live_subscription_wins(
        self, client: AsyncClient, db: Database
    ) -> None:
        config = factories.configuration()
        prod = factories.product()
        price = factories.price(prod["id"])
        now = clock.timestamp()
        old_live = factories.customer(email="Sam@example.com", name="Old live", created=now - 300)
        newest_dead = factories.customer(
            email="sam@EXAMPLE.com", name="Newest canceled", created=now - 100
        )
        middle_live = factories.customer(
            email="sam@example.com", name="Middle live", created=now - 200
        )
        subs = [
            factories.subscription(old_live["id"], price["id"]),
            factories.subscription(middle_live["id"], price["id"], status="past_due"),
            factories.subscription(
                newest_dead["id"], price["id"], status="canceled", canceled_at=now - 50
            ),
        ]
        await factories.seed(
            db,
            portal_configurations=[config],
            products=[prod],
            prices=[price],
            customers=[old_live, newest_dead, middle_live],
            subscriptions=subs,
        )
        home = await sign_in(client, db, config["login_page"]["link_id"], "SAM@example.com")
        assert "Middle live" in html(home).css_first("main .muted").text()

    async def test_without_live_subscriptions_the_newest_customer_wins(self, db: Database) -> None:
        now = clock.timestamp()
        older = factories.customer(email="kim@example.com", created=now - 100)
        newer = factories.customer(email="KIM@example.com", created=now - 10)
        await factories.seed(db, customers=[older, newer])
        assert await queries.customer_for_email(db, "kim@example.com") == newer["id"]


class TestCodeRules:
    async def test_expires_after_ten_minutes(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        clock.freeze()
        mail = await code_mail(client, db, link_of(shop), "ana.lopez@example.com")
        clock.advance(10 * 60 + 1)
        response = await enter_code(client, link_of(shop), code_in(str(mail["body_text"])))
        assert response.status_code == 400
        assert "portal_session" not in response.headers.get("set-cookie", "")

    async def test_still_valid_just_before_ten_minutes(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        clock.freeze()
        mail = await code_mail(client, db, link_of(shop), "ana.lopez@example.com")
        clock.advance(10 * 60 - 1)
        response = await enter_code(client, link_of(shop), code_in(str(mail["body_text"])))
        assert response.status_code == 303

    async def test_the_sixth_try_fails_even_with_the_right_code(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        link = link_of(shop)
        mail = await code_mail(client, db, link, "ana.lopez@example.com")
        code = code_in(str(mail["body_text"]))
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for _ in range(5):
            assert (await enter_code(client, link, wrong)).status_code == 400
        assert (await enter_code(client, link, code)).status_code == 400

    async def test_single_use(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        link = link_of(shop)
        mail = await code_mail(client, db, link, "ana.lopez@example.com")
        code = code_in(str(mail["body_text"]))
        assert (await enter_code(client, link, code)).status_code == 303
        # Same browser, straight back to the code form with the same code.
        clock.advance(61)
        await ask_for_code(client, link, "ana.lopez@example.com")
        assert (await enter_code(client, link, code)).status_code == 400

    async def test_resend_invalidates_and_waits_a_minute(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        link = link_of(shop)
        await ask_for_code(client, link, "ana.lopez@example.com")
        too_soon = await post_form(client, f"/p/login/{link}/code", f"/p/login/{link}/resend")
        assert too_soon.status_code == 429
        on_file = "Ana.Lopez@example.com"  # codes go to the address on file
        assert len(await mails_to(db, on_file)) == 1
        clock.advance(61)
        resent = await post_form(client, f"/p/login/{link}/code", f"/p/login/{link}/resend")
        assert resent.status_code == 303
        first, second = await mails_to(db, on_file)
        old_code, new_code = code_in(str(first["body_text"])), code_in(str(second["body_text"]))
        if old_code != new_code:
            assert (await enter_code(client, link, old_code)).status_code == 400
        assert (await enter_code(client, link, new_code)).status_code == 303

    async def test_parallel_submissions_give_one_session(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        link = link_of(shop)
        mail = await code_mail(client, db, link, "ana.lopez@example.com")
        code = code_in(str(mail["body_text"]))
        from tests.auth.helpers import csrf_token

        token = await csrf_token(client, f"/p/login/{link}/code")
        responses = await asyncio.gather(
            *(
                client.post(f"/p/login/{link}/code", data={"csrftoken": token, "code": code})
                for _ in range(4)
            )
        )
        assert sorted(r.status_code for r in responses) == [303, 400, 400, 400]
        from sqlalchemy import func, select

        from portal.tables import portal_sessions

        assert await db.fetch_val(select(func.count()).select_from(portal_sessions)) == 1

    async def test_a_hundred_failures_lock_nobody_out(
        self, client: AsyncClient, db: Database, shop: dict[str, Any], app: Any
    ) -> None:
        """No lock-out (tests/auth/test_limits.py has the attacks): past the limit of wrong
        tries, 6-digit codes are refused and new codes have 10 digits."""
        link = link_of(shop)
        mail = await code_mail(client, db, link, "ana.lopez@example.com")
        throttle = Throttle(db, app.state.settings.secret_key)
        for _ in range(100):
            await throttle.hit("wrong-tries", "ana.lopez@example.com", codes.WRONG_TRIES_WINDOW)
        response = await enter_code(client, link, code_in(str(mail["body_text"])))
        assert response.status_code == 400
        clock.advance(61)
        mail = await code_mail(client, db, link, "ana.lopez@example.com")
        code = code_in(str(mail["body_text"]))
        assert len(code.replace(" ", "")) == 10
        assert (await enter_code(client, link, code)).status_code == 303

    async def test_requests_per_address_are_throttled(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        link = link_of(shop)
        limit, _ = codes.IP_REQUESTS
        statuses = []
        for n in range(limit + 1):
            statuses.append((await ask_for_code(client, link, f"x{n}@example.com")).status_code)
        assert statuses[:limit] == [303] * limit
        assert statuses[limit] == 429


class TestNoEnumeration:
    async def test_known_and_unknown_emails_look_the_same(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        link = link_of(shop)

        async def attempt(email: str) -> tuple[int, list[str], str]:
            client.cookies.clear()
            response = await ask_for_code(client, link, email)
            cookies = sorted(
                re.sub(r"=[^;]*;", "=…;", c) for c in response.headers.get_list("set-cookie")
            )
            page = await client.get(response.headers["location"])
            # Per-request values (nonce, CSRF token) aside, the page is the same.
            body = re.sub(
                r'(value|nonce)="[^"]+"|"x-csrftoken": "[^"]+"',
                "…",
                page.text.replace(email, "EMAIL"),
            )
            return response.status_code, cookies, body

        known = await attempt("ana.lopez@example.com")
        unknown = await attempt("nobody.here@example.com")
        assert known == unknown
        assert len(await mails_to(db, "nobody.here@example.com")) == 0

    async def test_the_same_statements_run_for_customers_and_strangers(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        """A code request and a wrong code do the same work for any email (timing)."""
        link = link_of(shop)

        async def statements(email: str) -> tuple[int, int]:
            client.cookies.clear()
            token = await csrf_token(client, f"/p/login/{link}")
            before = db.query_count
            asked = await client.post(f"/p/login/{link}", data={"csrftoken": token, "email": email})
            requested = db.query_count - before
            assert asked.status_code == 303
            mail = await last_mail(db)
            code = code_in(str(mail["body_text"])) if mail else "123456"
            wrong = f"{(int(code) + 1) % 10**6:06d}"
            token = await csrf_token(client, f"/p/login/{link}/code")
            before = db.query_count
            checked = await client.post(
                f"/p/login/{link}/code", data={"csrftoken": token, "code": wrong}
            )
            assert checked.status_code == 400
            return requested, db.query_count - before

        stranger = await statements("nobody.here@example.com")
        assert await statements("ana.lopez@example.com") == stranger
        assert await last_mail(db) is not None


class TestMagicLink:
    async def test_get_shows_a_button_and_only_post_signs_in(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        mail = await code_mail(client, db, link_of(shop), "ana.lopez@example.com")
        path = magic_path(str(mail["body_text"]))
        client.cookies.clear()  # opened in another browser, as from a phone's mail app
        for _ in range(3):  # link scanners may open it several times
            page = await client.get(path)
            assert page.status_code == 200
            assert "portal_session" not in page.headers.get("set-cookie", "")
        assert (await client.get("/p/")).status_code == 401
        confirmed = await post_form(client, path, path)
        assert confirmed.status_code == 303
        assert (await client.get("/p/")).status_code == 200
        again = await client.get(path)
        assert again.status_code == 400

    async def test_the_code_and_link_are_one(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        link = link_of(shop)
        mail = await code_mail(client, db, link, "ana.lopez@example.com")
        assert (await enter_code(client, link, code_in(str(mail["body_text"])))).status_code == 303
        assert (await client.get(magic_path(str(mail["body_text"])))).status_code == 400

    async def test_expires_with_its_code(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        mail = await code_mail(client, db, link_of(shop), "ana.lopez@example.com")
        clock.advance(10 * 60 + 1)
        response = await client.get(magic_path(str(mail["body_text"])))
        assert response.status_code == 400
        assert html(response).maybe("a.button") is not None  # offers to sign in again


async def test_known_and_unknown_emails_take_the_same_time(
    client: AsyncClient, db: Database, shop: dict[str, Any]
) -> None:
    import statistics
    import time

    link = link_of(shop)
    durations: dict[str, list[float]] = {"known": [], "unknown": []}
    for n in range(5):
        for kind, email in (("known", "ana.lopez@example.com"), ("unknown", f"no{n}@example.com")):
            clock.advance(61)
            started = time.perf_counter()
            await ask_for_code(client, link, email)
            durations[kind].append(time.perf_counter() - started)
    known, unknown = (statistics.median(durations[k]) for k in ("known", "unknown"))
    assert known >= codes.REQUEST_CODE_SECONDS and unknown >= codes.REQUEST_CODE_SECONDS
    assert abs(known - unknown) < 0.02
