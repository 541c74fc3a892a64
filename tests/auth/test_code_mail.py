"""The code mail: with the SMTP server down, the page is normal and says so, the mail comes later,
once, or never after its code has expired; codes are not kept once sent or expired."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from portal import clock, mail
from portal.auth import codes
from portal.db import Database
from portal.settings import Settings
from portal.tables import outbox_emails as outbox
from tests import factories
from tests.auth.helpers import ask_for_code, code_in, post_form
from tests.conftest import SECRET, Inbox, SmtpServer, free_port, html, serving


async def wait_for(condition: object, seconds: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_smtp_down_then_up_delivers_once(settings: Settings, smtp_server: SmtpServer) -> None:
    smtp_server.stop()
    async with serving(settings, smtp_url=smtp_server.url) as (app, client):
        db: Database = app.state.db
        data = await factories.customer_with_plan(db, email="ines@example.com")
        response = await ask_for_code(
            client, data["configuration"]["login_page"]["link_id"], "ines@example.com"
        )
        assert response.status_code == 303  # the customer sees the usual page
        page = await client.get(response.headers["location"])
        assert page.status_code == 200
        [queued] = await db.fetch_all(outbox.select())
        # The background sender tried and failed; the message waits for its retry.
        for _ in range(100):
            row = await db.fetch_one(outbox.select())
            if row and row["attempts"]:
                break
            await asyncio.sleep(0.05)
        assert row is not None and row["attempts"] >= 1 and row["sent_at"] is None
        smtp_server.start()
        # Retried after its back-off, while the code is still valid.
        clock.advance(sum(mail.BACKOFF_SECONDS[:4]))
        app.state.mail_wake.set()
        await wait_for(lambda: len(smtp_server.inbox.messages) == 1)
        clock.advance(mail.BACKOFF_SECONDS[-1])
        app.state.mail_wake.set()
        await asyncio.sleep(0.3)
        assert len(smtp_server.inbox.messages) == 1
        [message] = smtp_server.inbox.messages
        body = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
        assert code_in(body) == code_in(str(queued["body_text"]))


def test_the_worker_sends_what_is_queued(
    tmp_path: Path, sqlite_template: Path, smtp_server: SmtpServer
) -> None:
    database = tmp_path / "worker.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{database}"

    async def queue() -> None:
        db = Database(url)
        await db.connect()
        await mail.queue(
            db,
            to="ops@example.com",
            template="test",
            locale="en",
            context={"business_name": "Tessellate"},
            test_mode=True,
        )
        await db.disconnect()

    asyncio.run(queue())
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "SMTP_URL": smtp_server.url}
    worker = subprocess.Popen(
        [sys.executable, "-m", "portal", "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            if smtp_server.inbox.messages:
                break
            time.sleep(0.1)
        assert len(smtp_server.inbox.messages) == 1
    finally:
        worker.terminate()
        worker.wait(timeout=10)


async def test_a_code_still_queued_when_it_expires_is_never_sent(
    settings: Settings, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    async with serving(settings, smtp_url=smtp_server.url) as (app, client):
        db: Database = app.state.db
        data = await factories.customer_with_plan(db, email="ines@example.com")
        await ask_for_code(
            client, data["configuration"]["login_page"]["link_id"], "ines@example.com"
        )
        await wait_for_attempt(db)
        smtp_server.start()
        clock.advance(codes.CODE_LIFETIME)
        app.state.mail_wake.set()
        await asyncio.sleep(0.3)
        assert await mail.send_due(db, app.state.settings) == 0
        assert smtp_server.inbox.messages == []
        [row] = await db.fetch_all(outbox.select())
        assert row["sent_at"] is None and row["erased_at"] is not None
        assert (row["subject"], row["body_text"], row["body_html"]) == ("", "", None)
        assert row["to_address"] == "ines@example.com" and row["template"] == "login_code"


async def test_a_sent_code_is_not_kept(
    settings: Settings, smtp_server: SmtpServer, client: httpx.AsyncClient, db: Database
) -> None:
    data = await factories.customer_with_plan(db, email="ines@example.com")
    await ask_for_code(client, data["configuration"]["login_page"]["link_id"], "ines@example.com")
    assert await mail.send_due(db, replace(settings, smtp_url=smtp_server.url)) == 1
    [message] = smtp_server.inbox.messages
    code = code_in(message.get_body(("plain",)).get_content())  # type: ignore[attr-defined]
    [row] = await db.fetch_all(outbox.select())
    assert code not in str(row)
    assert (row["subject"], row["body_text"], row["body_html"]) == ("", "", None)
    assert row["sent_at"] is not None and row["to_address"] == "ines@example.com"
    assert row["locale"] == "en" and row["template"] == "login_code"


async def test_without_smtp_the_mailbox_shows_codes_while_they_work(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail, "ERASE_EVERY", 0.05)
    async with serving(settings) as (app, client):  # no SMTP_URL: make demo
        db: Database = app.state.db
        data = await factories.customer_with_plan(db, email="ines@example.com")
        await ask_for_code(
            client, data["configuration"]["login_page"]["link_id"], "ines@example.com"
        )
        [row] = await db.fetch_all(outbox.select())
        code = code_in(str(row["body_text"]))
        await asyncio.sleep(0.2)
        assert code in (await client.get("/dev/mailbox")).text
        clock.advance(codes.CODE_LIFETIME)
        await wait_for_erasure(db)
        assert code not in (await client.get("/dev/mailbox")).text
        [row] = await db.fetch_all(outbox.select())
        assert code not in str(row)


async def wait_for_attempt(db: Database) -> None:
    for _ in range(100):
        row = await db.fetch_one(outbox.select().where(outbox.c.attempts > 0))
        if row is not None and row["last_error"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the sender made no attempt")


async def wait_for_erasure(db: Database) -> None:
    for _ in range(100):
        if await db.fetch_one(outbox.select().where(outbox.c.erased_at.is_not(None))):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("nothing was erased")


async def test_the_code_page_says_when_mail_cannot_be_sent(
    settings: Settings, smtp_server: SmtpServer
) -> None:
    """Told from the mail server's state, the same for every address; "try again" sends now."""
    smtp_server.stop()
    async with serving(settings, smtp_url=smtp_server.url) as (app, client):
        db: Database = app.state.db
        data = await factories.customer_with_plan(db, email="ines@example.com")
        link = data["configuration"]["login_page"]["link_id"]

        async def code_page(email: str) -> tuple[int, str]:
            client.cookies.clear()
            asked = await ask_for_code(client, link, email)
            await wait_for_attempt(db)
            page = await client.get(asked.headers["location"])
            return page.status_code, re.sub(
                r'(value|nonce)="[^"]+"|"x-csrftoken": "[^"]+"',
                "…",
                page.text.replace(email, "EMAIL"),
            )

        async def try_again() -> httpx.Response:
            return await post_form(client, f"/p/login/{link}/code", f"/p/login/{link}/retry")

        known = await code_page("ines@example.com")
        assert "could not be sent" in known[1]
        assert known == await code_page("nobody.here@example.com")
        stranger = await try_again()
        client.cookies.clear()
        await ask_for_code(client, link, "ines@example.com")
        customer = await try_again()
        assert (stranger.status_code, stranger.headers["location"]) == (
            customer.status_code,
            customer.headers["location"],
        )
        assert "could not be sent" in (await client.get(customer.headers["location"])).text
        # The server is back: "try again" sends at once, not after the back-off.
        smtp_server.start()
        retried = await try_again()
        assert len(smtp_server.inbox.messages) >= 1
        page = await client.get(retried.headers["location"])
        assert "could not be sent" not in page.text
        assert html(page).maybe("input#code") is not None
        await asyncio.sleep(0.3)
        assert len(smtp_server.inbox.messages) == 2  # one per code, each once


class RefusingInbox(Inbox):
    """A server that knows its mailboxes: refuses mail to one address at RCPT."""

    async def handle_RCPT(
        self, server: object, session: object, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address == "ines@example.com":
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


async def test_a_refused_address_does_not_show_on_code_pages(settings: Settings) -> None:
    """Only the server's state shows: a refusal of one address would tell that it got mail."""
    inbox = RefusingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        server = SmtpServer(controller, inbox)
        async with serving(settings, smtp_url=server.url) as (app, client):
            db: Database = app.state.db
            data = await factories.customer_with_plan(db, email="ines@example.com")
            link = data["configuration"]["login_page"]["link_id"]
            asked = await ask_for_code(client, link, "ines@example.com")
            await wait_for_attempt(db)
            page = await client.get(asked.headers["location"])
            assert "could not be sent" not in page.text
            assert await mail.sending_fails(db) is False
    finally:
        controller.stop()
