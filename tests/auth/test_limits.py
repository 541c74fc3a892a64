"""Limits on codes (README "Limits"): whoever cannot read the mailbox cannot keep its owner out,
and guessing stays bounded."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import select
from starlette.applications import Starlette

from portal import clock
from portal.auth import codes
from portal.auth.throttles import Throttle
from portal.db import Database
from portal.tables import login_codes
from tests import factories
from tests.auth.helpers import (
    ask_for_code,
    code_in,
    code_mail,
    enter_code,
    last_mail,
    magic_path,
    mails_to,
    post_form,
    resend,
)
from tests.conftest import BASE_URL, SECRET, html

VICTIM = "ana.lopez@example.com"
ON_FILE = "Ana.Lopez@example.com"
T = codes.WRONG_TRIES_SHORT

Browser = Callable[[str], AsyncClient]


@pytest.fixture
async def shop(db: Database) -> dict[str, Any]:
    return await factories.customer_with_plan(db, email="Ana.Lopez@Example.com")


@pytest.fixture
def link(shop: dict[str, Any]) -> str:
    return str(shop["configuration"]["login_page"]["link_id"])


@pytest.fixture
async def browser(app: Starlette) -> AsyncIterator[Browser]:
    """Another browser (its own cookies) at an IP address of its own."""
    async with AsyncExitStack() as stack:

        def open_browser(ip: str) -> AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(ip, 40000))
            client = AsyncClient(transport=transport, base_url=BASE_URL)
            stack.push_async_callback(client.aclose)
            return client

        yield open_browser


def other_than(code: str) -> str:
    """A wrong code of the same length."""
    digits = code.replace(" ", "")
    return f"{(int(digits) + 1) % 10 ** len(digits):0{len(digits)}d}"


async def wrong_tries(client: AsyncClient, link: str, code: str, count: int) -> list[int]:
    return [(await enter_code(client, link, other_than(code))).status_code for _ in range(count)]


async def guess(client: AsyncClient, db: Database, link: str, count: int) -> None:
    """Ask for the victim's code in this browser and type `count` wrong codes, asking for a
    new code whenever one has had its five tries."""
    mail = await code_mail(client, db, link, VICTIM)
    code = code_in(str(mail["body_text"]))  # the length is all that matters
    for n in range(count):
        if n and n % codes.CODE_TRIES == 0:
            clock.advance(codes.RESEND_INTERVAL + 1)
            await post_form(client, f"/p/login/{link}/code", f"/p/login/{link}/resend")
        assert (await enter_code(client, link, other_than(code))).status_code == 400


async def attack(browser: Browser, db: Database, link: str, *, guesses: int) -> None:
    """Wrong codes from two addresses, as many as the per-IP limits let through."""
    per_ip, _ = codes.IP_VERIFICATIONS
    left = guesses
    for ip in ("198.51.100.7", "203.0.113.9"):
        await guess(browser(ip), db, link, min(left, per_ip))
        left -= min(left, per_ip)
    counted = await Throttle(db, SECRET).current("wrong-tries", VICTIM, codes.WRONG_TRIES_WINDOW)
    assert left == 0 and counted == guesses


class TestTheOwnerIsNeverKeptOut:
    async def test_after_a_hundred_wrong_codes_the_owner_signs_in_with_a_new_code(
        self, client: AsyncClient, db: Database, link: str, browser: Browser
    ) -> None:
        clock.freeze()
        await attack(browser, db, link, guesses=110)
        # The attacker's own requests may have used up the per-email cap for a few minutes
        # (see the test below for what the owner can do meanwhile).
        clock.advance(codes.EMAIL_CODES[1])
        mail = await code_mail(client, db, link, VICTIM)  # the owner, in their own browser
        code = code_in(str(mail["body_text"]))
        assert len(code.replace(" ", "")) == 10 and code[5] == " "
        signed_in = await enter_code(client, link, code)
        assert signed_in.status_code == 303
        assert (await client.get(signed_in.headers["location"])).status_code == 200

    async def test_after_a_hundred_wrong_codes_the_magic_link_works(
        self, client: AsyncClient, db: Database, link: str, browser: Browser
    ) -> None:
        clock.freeze()
        await attack(browser, db, link, guesses=110)
        clock.advance(codes.EMAIL_CODES[1])
        mail = await code_mail(client, db, link, VICTIM)
        phone = browser("192.0.2.44")  # opened from the mail app of another device
        path = magic_path(str(mail["body_text"]))
        assert (await post_form(phone, path, path)).status_code == 303
        assert (await phone.get("/p/")).status_code == 200

    async def test_codes_asked_for_by_an_attacker_still_sign_the_owner_in_by_link(
        self, client: AsyncClient, db: Database, link: str, browser: Browser
    ) -> None:
        """The attacker uses up the per-email cap: the owner is told to use the newest link,
        which works even though another browser asked for it."""
        clock.freeze()
        limit, window = codes.EMAIL_CODES
        for n in range(limit):
            clock.advance(1)
            await ask_for_code(browser(f"198.51.100.{n + 1}"), link, VICTIM)
        assert len(await mails_to(db, ON_FILE)) == limit
        asked = await ask_for_code(client, link, VICTIM)
        page = await client.get(asked.headers["location"])
        assert page.status_code == 200
        assert (
            "sign-in link in the most recent email" in html(page).css_first("[role=status]").text()
        )
        assert len(await mails_to(db, ON_FILE)) == limit  # no sixth mail
        newest = await last_mail(db)
        assert newest is not None
        path = magic_path(str(newest["body_text"]))
        assert (await post_form(client, path, path)).status_code == 303
        # And after the window, a code of the owner's own.
        other = browser("192.0.2.80")
        clock.advance(window)
        mail = await code_mail(other, db, link, VICTIM)
        assert (await enter_code(other, link, code_in(str(mail["body_text"])))).status_code == 303

    async def test_guesses_never_touch_the_owners_code(
        self, client: AsyncClient, db: Database, link: str, browser: Browser
    ) -> None:
        mail = await code_mail(client, db, link, VICTIM)
        code = code_in(str(mail["body_text"]))
        attacker = browser("198.51.100.7")
        await ask_for_code(attacker, link, VICTIM)
        # Even the owner's code itself does nothing in another browser.
        assert (await enter_code(attacker, link, code)).status_code == 400
        assert await wrong_tries(attacker, link, code, codes.CODE_TRIES) == [400] * 5
        owners = await db.fetch_one(select(login_codes).order_by(login_codes.c.created).limit(1))
        assert owners is not None and owners["attempts"] == 0 and owners["consumed_at"] is None
        assert (await enter_code(client, link, code)).status_code == 303

    async def test_wrong_typed_tries_do_not_end_the_magic_link(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        mail = await code_mail(client, db, link, VICTIM)
        code = code_in(str(mail["body_text"]))
        await wrong_tries(client, link, code, codes.CODE_TRIES)
        assert (await enter_code(client, link, code)).status_code == 400  # the typed code ended
        path = magic_path(str(mail["body_text"]))
        assert (await post_form(client, path, path)).status_code == 303

    async def test_a_resend_ends_only_this_browsers_code(
        self, client: AsyncClient, db: Database, link: str, browser: Browser
    ) -> None:
        owners = code_in(str((await code_mail(client, db, link, VICTIM))["body_text"]))
        attacker = browser("198.51.100.7")
        await ask_for_code(attacker, link, VICTIM)
        clock.advance(codes.RESEND_INTERVAL + 1)
        resent = await post_form(attacker, f"/p/login/{link}/code", f"/p/login/{link}/resend")
        assert resent.status_code == 303
        assert (await enter_code(client, link, owners)).status_code == 303


class TestGuessingIsBounded:
    async def test_past_the_limit_six_digit_codes_are_refused_and_new_ones_are_longer(
        self, client: AsyncClient, db: Database, link: str, browser: Browser
    ) -> None:
        mail = await code_mail(client, db, link, VICTIM)
        code = code_in(str(mail["body_text"]))
        await guess(browser("198.51.100.7"), db, link, T)
        # The owner's right 6-digit code is no longer even checked.
        refused = await enter_code(client, link, code)
        assert refused.status_code == 400
        assert "6-digit codes no longer work" in html(refused).css_first("[role=alert]").text()
        clock.advance(codes.RESEND_INTERVAL + 1)
        long_code = code_in(str((await resend(client, db, link))["body_text"]))
        page = await client.get(f"/p/login/{link}/code")
        assert "10-digit code" in html(page).css_first("main p").text()
        assert len(long_code) == 11 and long_code[5] == " "
        assert (await enter_code(client, link, long_code)).status_code == 303

    async def test_one_try_short_of_the_limit_codes_still_have_six_digits(
        self, client: AsyncClient, db: Database, link: str, browser: Browser
    ) -> None:
        mail = await code_mail(client, db, link, VICTIM)
        await guess(browser("198.51.100.7"), db, link, T - 1)
        assert (await enter_code(client, link, code_in(str(mail["body_text"])))).status_code == 303

    async def test_the_count_is_per_day(
        self, client: AsyncClient, db: Database, link: str, browser: Browser
    ) -> None:
        clock.freeze()
        await guess(browser("198.51.100.7"), db, link, T)
        assert len(code_in(str((await code_mail(client, db, link, VICTIM))["body_text"]))) == 11
        clock.advance(codes.WRONG_TRIES_WINDOW)
        code = code_in(str((await resend(client, db, link))["body_text"]))
        assert len(code) == 6
        assert (await enter_code(client, link, code)).status_code == 303

    async def test_ten_digit_codes_are_typed_with_or_without_spaces(
        self, client: AsyncClient, db: Database, link: str, browser: Browser
    ) -> None:
        await attack(browser, db, link, guesses=T)
        mail = await code_mail(client, db, link, VICTIM)
        code = code_in(str(mail["body_text"]))
        assert (
            await enter_code(client, link, " " + code.replace(" ", "") + " ")
        ).status_code == 303

    async def test_strangers_addresses_get_the_same_pages(
        self, db: Database, link: str, browser: Browser, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Wrong tries are counted for every address, so the pages say nothing about who is a
        customer."""
        monkeypatch.setattr(codes, "new_code", lambda digits: "1" * digits)  # never 000000

        async def pages(email: str, ip: str) -> list[tuple[int, str]]:
            seen = []
            client = browser(ip)
            asked = await ask_for_code(client, link, email)
            for _ in range(T // codes.CODE_TRIES):
                for _ in range(codes.CODE_TRIES):
                    wrong = await enter_code(client, link, "000000")
                    seen.append((wrong.status_code, html(wrong).css_first("[role=alert]").text()))
                clock.advance(codes.RESEND_INTERVAL + 1)
                asked = await post_form(client, f"/p/login/{link}/code", f"/p/login/{link}/resend")
            page = await client.get(asked.headers["location"])
            seen.append(
                (page.status_code, html(page).css_first("main p").text().replace(email, "EMAIL"))
            )
            refused = await enter_code(client, link, "000000")
            seen.append((refused.status_code, html(refused).css_first("[role=alert]").text()))
            return seen

        known = await pages(VICTIM, "198.51.100.7")
        unknown = await pages("nobody.here@example.com", "198.51.100.8")
        assert known == unknown
        assert "10-digit code" in known[-2][1]


class TestAskingAgain:
    async def test_twice_within_a_minute_shows_the_code_form_again(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        """Back to the form, or a second tab: no dead end, and no second mail."""
        await ask_for_code(client, link, VICTIM)
        again = await ask_for_code(client, link, VICTIM)
        assert again.status_code == 303
        page = await client.get(again.headers["location"])
        assert page.status_code == 200
        assert "We already sent you a code" in html(page).css_first("[role=status]").text()
        assert html(page).maybe("input#code") is not None
        assert len(await mails_to(db, ON_FILE)) == 1
        # The notice is shown once.
        assert html(await client.get(f"/p/login/{link}/code")).maybe("[role=status]") is None

    async def test_another_address_within_the_minute_gets_its_code(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        """A typo fixed at once: the minute between codes is per browser and address."""
        await ask_for_code(client, link, "ana.lopez@exmaple.com")
        mail = await code_mail(client, db, link, VICTIM)
        assert mail["to_address"] == ON_FILE

    async def test_five_codes_per_address_in_ten_minutes(
        self, client: AsyncClient, db: Database, link: str, browser: Browser
    ) -> None:
        clock.freeze()
        limit, window = codes.EMAIL_CODES
        for n in range(limit + 3):
            asked = await ask_for_code(browser(f"198.51.100.{n + 1}"), link, VICTIM)
            assert asked.status_code == 303
        assert len(await mails_to(db, ON_FILE)) == limit
        asked = await ask_for_code(client, link, VICTIM)
        page = await client.get(asked.headers["location"])
        assert "works on any device" in html(page).css_first("[role=status]").text()
        # The code page's "Send a new code" says the same, until the window has passed.
        clock.advance(codes.RESEND_INTERVAL + 1)
        capped = await post_form(client, f"/p/login/{link}/code", f"/p/login/{link}/resend")
        page = await client.get(capped.headers["location"])
        assert "works on any device" in html(page).css_first("[role=status]").text()
        assert len(await mails_to(db, ON_FILE)) == limit
        clock.advance(window)
        mail = await resend(client, db, link)
        assert (await enter_code(client, link, code_in(str(mail["body_text"])))).status_code == 303

    async def test_a_stranger_capped_sees_the_same(
        self, db: Database, link: str, browser: Browser
    ) -> None:
        async def capped_page(email: str) -> str:
            for n in range(codes.EMAIL_CODES[0]):
                await ask_for_code(browser(f"198.51.100.{n + 1}"), link, email)
            client = browser("192.0.2.1")
            asked = await ask_for_code(client, link, email)
            page = await client.get(asked.headers["location"])
            # Per-request values (nonce, CSRF token) aside, the page is the same.
            return re.sub(
                r'(value|nonce)="[^"]+"|"x-csrftoken": "[^"]+"',
                "…",
                page.text.replace(email, "EMAIL"),
            )

        known = await capped_page(VICTIM)
        assert "works on any device" in known
        assert known == await capped_page("nobody.here@example.com")
