"""Mail through the outbox to a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from email.message import Message

import aiosmtplib
import pytest
from httpx import AsyncClient
from sqlalchemy import select

from portal import clock, mail
from portal.db import Database
from portal.settings import Settings
from portal.tables import outbox_emails
from tests.conftest import SmtpServer, html


async def queue_test_mail(db: Database, locale: str = "en") -> str:
    return await mail.queue(
        db,
        to="ana@example.com",
        template="test",
        locale=locale,
        context={"business_name": "Tessellate"},
        test_mode=True,
    )


async def outbox_row(db: Database, email_id: str) -> dict[str, object]:
    row = await db.fetch_one(select(outbox_emails).where(outbox_emails.c.id == email_id))
    assert row is not None
    return row


class TestSending:
    async def test_delivers_text_and_html(
        self, db: Database, settings: Settings, smtp_server: SmtpServer
    ) -> None:
        settings = replace(
            settings, smtp_url=smtp_server.url, mail_from="Tessellate <billing@tessellate.example>"
        )
        email_id = await queue_test_mail(db)
        assert await mail.send_due(db, settings) == 1
        [message] = smtp_server.inbox.messages
        assert message["To"] == "ana@example.com"
        assert message["From"] == "Tessellate <billing@tessellate.example>"
        assert message["Subject"] == "Test message from Tessellate"
        assert message.get_content_type() == "multipart/alternative"
        parts = {}
        for part in message.get_payload():
            assert isinstance(part, Message)
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts[part.get_content_type()] = payload.decode()
        assert "can send email" in parts["text/plain"]
        assert '<html lang="en">' in parts["text/html"]
        assert (await outbox_row(db, email_id))["sent_at"] is not None
        # Nothing is sent twice.
        assert await mail.send_due(db, settings) == 0
        assert len(smtp_server.inbox.messages) == 1

    async def test_is_written_in_the_given_locale(self, db: Database) -> None:
        email_id = await queue_test_mail(db, locale="de")
        row = await outbox_row(db, email_id)
        assert row["locale"] == "de"
        assert '<html lang="de">' in str(row["body_html"])

    async def test_server_down_then_up_delivers_exactly_once(
        self, db: Database, settings: Settings, smtp_server: SmtpServer
    ) -> None:
        settings = replace(settings, smtp_url=smtp_server.url)
        smtp_server.stop()
        email_id = await queue_test_mail(db)
        assert await mail.send_due(db, settings) == 0
        row = await outbox_row(db, email_id)
        assert row["attempts"] == 1
        assert row["sent_at"] is None
        assert "Error" in str(row["last_error"])
        # Not retried before its back-off has passed…
        smtp_server.start()
        assert await mail.send_due(db, settings) == 0
        # …and delivered once after it.
        clock.advance(mail.BACKOFF_SECONDS[0] + 1)
        assert await mail.send_due(db, settings) == 1
        assert await mail.send_due(db, settings) == 0
        assert len(smtp_server.inbox.messages) == 1

    async def test_two_senders_send_each_message_once(
        self, db: Database, settings: Settings, smtp_server: SmtpServer
    ) -> None:
        settings = replace(settings, smtp_url=smtp_server.url)
        for _ in range(6):
            await queue_test_mail(db)
        sent = await asyncio.gather(mail.send_due(db, settings), mail.send_due(db, settings))
        assert sum(sent) == 6
        assert len(smtp_server.inbox.messages) == 6

    def test_smtp_url_forms(self) -> None:
        plain = mail.smtp_options("smtp://user%40x:p%2Fw@mail.example:2525")
        assert (plain["hostname"], plain["port"], plain["use_tls"]) == ("mail.example", 2525, False)
        assert (plain["username"], plain["password"]) == ("user@x", "p/w")
        tls = mail.smtp_options("smtps://mail.example")
        assert (tls["port"], tls["use_tls"], tls["start_tls"]) == (465, True, False)

    @pytest.mark.parametrize(
        ("url", "start_tls"),
        [
            ("smtp://mail.example:587", True),  # required: nobody in between can strip it
            ("smtp://10.0.0.5:25", True),
            ("smtp://relay.internal:25?tls=none", False),  # the operator's explicit choice
            ("smtp://127.0.0.1:2525", None),  # loopback: when offered, as before
            ("smtp://127.0.0.2", None),
            ("smtp://localhost:25", None),
            ("smtp://[::1]:25", None),
        ],
    )
    def test_starttls_is_required_beyond_loopback(self, url: str, start_tls: bool | None) -> None:
        options = mail.smtp_options(url)
        assert options["start_tls"] is start_tls
        assert options["use_tls"] is False

    @pytest.mark.parametrize(
        "url",
        [
            "smtps://mail.example?tls=none",
            "smtp://mail.example?tls=1",
            "smtp://mail.example?verify=no",
            "http://mail.example",
        ],
    )
    def test_unknown_forms_are_refused(self, url: str) -> None:
        with pytest.raises(ValueError, match=r"SMTP_URL|smtps"):
            mail.smtp_options(url)

    async def test_a_server_without_starttls_gets_nothing_when_tls_is_required(
        self, db: Database, settings: Settings, smtp_server: SmtpServer
    ) -> None:
        """What a man in the middle who strips STARTTLS would see: no message."""
        options = {
            **mail.smtp_options("smtp://mail.example:25"),
            "hostname": smtp_server.controller.hostname,
            "port": smtp_server.controller.port,
        }
        row = await outbox_row(db, await queue_test_mail(db))
        with pytest.raises(aiosmtplib.SMTPException, match="STARTTLS"):
            await aiosmtplib.send(mail._message(row, settings.mail_from), **options)
        assert smtp_server.inbox.messages == []
        # The same server on loopback, named as such, is used as before.
        settings = replace(settings, smtp_url=smtp_server.url)
        assert await mail.send_due(db, settings) == 1
        assert len(smtp_server.inbox.messages) == 1


class TestDevMailbox:
    async def test_lists_the_outbox(self, client: AsyncClient, db: Database) -> None:
        await queue_test_mail(db)
        response = await client.get("/dev/mailbox")
        assert response.status_code == 200
        page = html(response)
        assert page.css_first(".mail h2").text() == "Test message from Tessellate"
        assert "can send email" in page.css_first(".mail-body").text()
