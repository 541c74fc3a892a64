"""Portal sessions: merchant-created one-time URLs, lifetimes, cookies, sign-out."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from httpx import AsyncClient

from portal import clock
from portal.auth import sessions
from portal.cli import main
from portal.db import Database
from portal.settings import Settings
from tests import factories
from tests.auth.helpers import (
    code_in,
    code_mail,
    enter_code,
    post_form,
    sign_in,
)
from tests.conftest import html, serving


@pytest.fixture
async def shop(db: Database) -> dict[str, Any]:
    return await factories.customer_with_plan(db)


async def session_url(
    db: Database, settings: Settings, shop: dict[str, Any], **options: Any
) -> str:
    url = (await sessions.issue(db, settings, customer_id=shop["customer"]["id"], **options)).url
    return url.removeprefix(settings.base_url)


class TestMerchantSessions:
    async def test_one_time_url_opens_the_customer_home(
        self, client: AsyncClient, db: Database, settings: Settings, shop: dict[str, Any]
    ) -> None:
        url = await session_url(
            db, settings, shop, return_url="https://shop.example/account", locale="de"
        )
        opened = await client.get(url)
        assert opened.status_code == 303
        assert opened.headers["location"] == "/p/"
        home = await client.get("/p/")
        assert home.status_code == 200
        page = html(home)
        assert page.css_first("html").attributes["lang"] == "de"
        assert page.css_first(".back-link").attributes["href"] == "https://shop.example/account"

    async def test_url_works_once(
        self, client: AsyncClient, db: Database, settings: Settings, shop: dict[str, Any]
    ) -> None:
        url = await session_url(db, settings, shop)
        assert (await client.get(url)).status_code == 303
        client.cookies.clear()
        reused = await client.get(url, headers={"accept-language": "it"})
        assert reused.status_code == 410
        page = html(reused)
        assert page.css_first("html").attributes["lang"] == "it"
        assert str(page.css_first("a.button").attributes["href"]).startswith("/p/login/")

    async def test_unused_url_expires_after_five_minutes(
        self, client: AsyncClient, db: Database, settings: Settings, shop: dict[str, Any]
    ) -> None:
        clock.freeze()
        url = await session_url(db, settings, shop, return_url="https://shop.example/back")
        clock.advance(5 * 60 + 1)
        expired = await client.get(url)
        assert expired.status_code == 410
        links = [a.attributes["href"] for a in html(expired).css(".actions a")]
        assert "https://shop.example/back" in links

    async def test_idle_for_an_hour_ends_the_session(
        self, client: AsyncClient, db: Database, settings: Settings, shop: dict[str, Any]
    ) -> None:
        clock.freeze()
        await client.get(await session_url(db, settings, shop))
        clock.advance(59 * 60)
        assert (await client.get("/p/")).status_code == 200  # activity moves the hour on
        clock.advance(59 * 60)
        assert (await client.get("/p/")).status_code == 200
        clock.advance(60 * 60 + 1)
        ended = await client.get("/p/")
        assert ended.status_code == 401

    async def test_never_longer_than_two_hours(
        self, client: AsyncClient, db: Database, settings: Settings, shop: dict[str, Any]
    ) -> None:
        clock.freeze()
        await client.get(await session_url(db, settings, shop))
        for _ in range(4):
            clock.advance(30 * 60)
            assert (await client.get("/p/")).status_code == 200
        clock.advance(1)
        assert (await client.get("/p/")).status_code == 401

    async def test_command_prints_a_url(
        self,
        database_url: str,
        shop: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("SECRET_KEY", "k" * 40)
        monkeypatch.setenv("BASE_URL", "https://billing.example")
        # The command runs its own event loop, as it does from a shell.
        await asyncio.to_thread(
            main,
            [
                "session",
                "create",
                shop["customer"]["id"],
                "--locale",
                "fr",
                "--return-url",
                "https://shop.example",
            ],
        )
        assert capsys.readouterr().out.startswith("https://billing.example/p/session/")
        with pytest.raises(SystemExit):
            await asyncio.to_thread(main, ["session", "create", "cus_nobody"])
        assert "No such customer" in capsys.readouterr().err
        with pytest.raises(SystemExit):
            await asyncio.to_thread(
                main, ["session", "create", shop["customer"]["id"], "--locale", "tlh"]
            )
        assert "Unsupported locale" in capsys.readouterr().err


class TestCookiesAndSignOut:
    async def test_cookie_is_httponly_and_lax(
        self, client: AsyncClient, db: Database, settings: Settings, shop: dict[str, Any]
    ) -> None:
        opened = await client.get(await session_url(db, settings, shop))
        cookie = next(
            c for c in opened.headers.get_list("set-cookie") if c.startswith("portal_session=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
        token = cookie.split(";")[0].split("=", 1)[1]
        assert len(token) >= 32  # 256 random bits, URL-safe

    async def test_secure_host_cookie_under_https(
        self, settings: Settings, shop: dict[str, Any]
    ) -> None:
        secure = replace(settings, base_url="https://portal.test")
        async with serving(secure) as (app, client):
            url = await session_url(app.state.db, secure, shop)
            opened = await client.get(url)
            cookie = next(c for c in opened.headers.get_list("set-cookie") if "portal_session" in c)
            assert cookie.startswith("__Host-portal_session=")
            assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
            assert (await client.get("/p/")).status_code == 200

    async def test_session_ids_in_urls_are_ignored(
        self, client: AsyncClient, db: Database, settings: Settings, shop: dict[str, Any]
    ) -> None:
        opened = await client.get(await session_url(db, settings, shop))
        token = opened.cookies["portal_session"]
        client.cookies.clear()
        assert (await client.get(f"/p/?portal_session={token}")).status_code == 401

    async def test_sign_out_ends_the_session_on_the_server(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        await sign_in(
            client, db, shop["configuration"]["login_page"]["link_id"], shop["customer"]["email"]
        )
        token = client.cookies["portal_session"]
        signed_out = await post_form(client, "/p/", "/p/logout")
        assert signed_out.status_code == 200
        again = html(signed_out).css_first("a.button").attributes["href"]
        assert str(again).startswith("/p/login/")
        client.cookies.set("portal_session", token)  # a copy of the old cookie
        assert (await client.get("/p/")).status_code == 401

    async def test_signing_in_gives_a_new_session_id(
        self, client: AsyncClient, db: Database, shop: dict[str, Any]
    ) -> None:
        link = shop["configuration"]["login_page"]["link_id"]
        client.cookies.set("portal_session", "chosen-by-an-attacker", domain="portal.test")
        mail = await code_mail(client, db, link, shop["customer"]["email"])
        signed_in = await enter_code(client, link, code_in(str(mail["body_text"])))
        assert signed_in.cookies["portal_session"] != "chosen-by-an-attacker"


class TestLanguage:
    async def test_the_customers_preferred_language_comes_after_the_switcher(
        self, client: AsyncClient, db: Database, settings: Settings
    ) -> None:
        data = await factories.customer_with_plan(db, preferred_locales=["ja"])
        await client.get(await session_url(db, settings, data))
        home = await client.get("/p/", headers={"accept-language": "de"})
        assert html(home).css_first("html").attributes["lang"] == "ja"
        switched = await client.get("/p/?locale=es", headers={"accept-language": "de"})
        assert html(switched).css_first("html").attributes["lang"] == "es"
        again = await client.get("/p/", headers={"accept-language": "de"})
        assert html(again).css_first("html").attributes["lang"] == "es"
