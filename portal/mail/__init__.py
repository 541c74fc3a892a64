"""Email: templates rendered into the outbox table, then sent over SMTP with retries.

Writing to the outbox happens in the caller's transaction, so a mail exists exactly when the
action that caused it was committed. Sending happens later (the web process's background
sender and `portal worker`) through the shared delivery machinery (portal/delivery): claimed
before it is sent, so two senders never send the same one; retried with back-off; given up
after a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import replace
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from portal import clock, i18n
from portal.db import Database, Row, new_id
from portal.delivery import Failure, Outbox, deliver_due, failure
from portal.mail import queries
from portal.merchant.branding import Branding, readable_on
from portal.merchant.configuration import Configuration
from portal.settings import Settings
from portal.tables import outbox_emails as outbox
from portal.templating import templates

log = logging.getLogger("portal.mail")

CLAIM_SECONDS = 120
"""How long a claimed message is left to its sender before another may try it."""
BACKOFF_SECONDS = (30, 60, 120, 300, 600, 1800, 3600)
GIVE_UP_AFTER = 30
"""Failed attempts after which a message is given up (about a day of trying)."""


def business_context(configuration: Configuration) -> dict[str, str]:
    """What every mail to a customer shows of the business: its name and button colours."""
    branding = Branding.of(configuration)
    return {
        "business_name": branding.business_name,
        "button_color": branding.button_color,
        "button_text_color": readable_on(branding.button_color),
    }


def render_email(
    template: str, locale: str, context: Mapping[str, Any], *, test_mode: bool
) -> dict[str, str]:
    """Subject, text and HTML of `templates/email/<template>/` in `locale`.

    In test mode (Settings.test_mode) every mail says so: the HTML layout shows a banner and
    the text part starts with the same note."""
    previous = i18n.get_locale()
    i18n.set_locale(locale)
    try:
        ctx = {
            "locale": locale,
            "html_lang": locale.replace("_", "-"),
            **context,
            "test_mode": test_mode,
        }
        parts = {
            part: templates.get_template(f"email/{template}/{part}").render(ctx)
            for part in ("subject.txt", "body.txt", "body.html")
        }
        if test_mode:
            note = templates.get_template("email/_test_mode.txt").render(ctx).strip()
            parts["body.txt"] = f"{note}\n\n{parts['body.txt'].strip()}"
    finally:
        i18n.set_locale(previous)
    return {
        # One line (no header injection), keeping no-break spaces (French "code :").
        "subject": " ".join(
            line.strip() for line in parts["subject.txt"].splitlines() if line.strip()
        ),
        "body_text": parts["body.txt"].strip() + "\n",
        "body_html": parts["body.html"],
    }


async def queue(
    db: Database,
    *,
    to: str,
    template: str,
    locale: str,
    context: Mapping[str, Any],
    test_mode: bool,
    expires_at: int | None = None,
) -> str:
    """Render and store one message; it leaves with the next send. A message that carries a
    secret gives its expiry: it is erased once sent, and dropped unsent once expired."""
    values = _message_values(template, locale, context, test_mode, expires_at)
    return await queries.insert(db, to_address=to, **values)


async def queue_to_customer(
    db: Database,
    customer_id: str | None,
    *,
    template: str,
    locale: str,
    context: Mapping[str, Any],
    test_mode: bool,
    expires_at: int | None = None,
) -> str:
    """Like `queue`, to the email on file for the customer (none when `customer_id` matches no
    customer: the statement is the same either way, see auth/codes.py)."""
    return await queries.insert_to_customer(
        db, customer_id, **_message_values(template, locale, context, test_mode, expires_at)
    )


def _message_values(
    template: str, locale: str, context: Mapping[str, Any], test_mode: bool, expires_at: int | None
) -> dict[str, Any]:
    now = clock.timestamp()
    return {
        "id": new_id("em"),
        "template": template,
        "locale": locale,
        "attempts": 0,
        "next_attempt_at": now,
        "created": now,
        "expires_at": expires_at,
        **render_email(template, locale, context, test_mode=test_mode),
    }


def _message(row: Row, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(clock.to_datetime(row["created"]))
    message["Message-ID"] = make_msgid(idstring=row["id"])
    message.set_content(row["body_text"])
    if row["body_html"]:
        message.add_alternative(row["body_html"], subtype="html")
    return message


def smtp_options(smtp_url: str) -> dict[str, Any]:
    """aiosmtplib's options for SMTP_URL: `smtp://user:pass@host:587` (STARTTLS required),
    `smtps://…:465` (TLS from the start), or `smtp://relay:25?tls=none` (plain, for a relay
    on a network you trust). STARTTLS that only happens when the server offers it can be
    stripped by anyone in between, so it is left optional on loopback only, where nobody
    is (`smtp://127.0.0.1:…`, `localhost`, `[::1]`)."""
    url = urlsplit(smtp_url)
    if url.scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP_URL must start with smtp:// or smtps://")
    query = parse_qs(url.query, keep_blank_values=True)
    tls = query.pop("tls", [""])[-1]
    if query or tls not in ("", "none"):
        raise ValueError("SMTP_URL takes one option, ?tls=none (plain SMTP, no STARTTLS)")
    implicit_tls = url.scheme == "smtps"
    if implicit_tls and tls == "none":
        raise ValueError("smtps:// always uses TLS; use smtp://…?tls=none for plain SMTP")
    hostname = url.hostname or "localhost"
    start_tls: bool | None = True
    if implicit_tls or tls == "none":
        start_tls = False
    elif _loopback(hostname):
        start_tls = None  # when offered, as local test servers and relays often do not
    return {
        "hostname": hostname,
        "port": url.port or (465 if implicit_tls else 25),
        "username": unquote(url.username) if url.username else None,
        "password": unquote(url.password) if url.password else None,
        "use_tls": implicit_tls,
        "start_tls": start_tls,
        "timeout": 20,
    }


def _loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


# A failure to reach the server, rather than a refusal of one message: the others would fail
# the same way, so the round stops there (which keeps "Try again" on the code page quick).
UNREACHABLE = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    OSError,
    TimeoutError,
)
# A refusal of the address: says nothing about the server, and showing it on code pages would
# tell that this address was sent mail, i.e. that it belongs to a customer.
REFUSED = (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPRecipientRefused)


def _classify(exc: Exception) -> Failure:
    return replace(
        failure(exc),
        stop_round=isinstance(exc, UNREACHABLE),
        about_destination=not isinstance(exc, REFUSED),
    )


def _erase_secret(row: Row, now: int) -> dict[str, Any]:
    # A message carrying a secret is blanked as soon as it has left.
    return {**queries.ERASED, "erased_at": now} if row["expires_at"] is not None else {}


OUTBOX = Outbox(
    "mail",
    outbox,
    delivered="sent_at",
    backoff=BACKOFF_SECONDS,
    give_up_after=GIVE_UP_AFTER,
    claim_seconds=CLAIM_SECONDS,
    classify=_classify,
    due=queries.not_expired,
    after_delivery=_erase_secret,
)


async def send_due(db: Database, settings: Settings, *, limit: int = 50) -> int:
    """Send what is due; returns how many messages left. Failures are retried with back-off.
    Expired messages are erased first, and also when SMTP_URL is unset."""
    await queries.erase_expired(db, clock.timestamp())
    if not settings.smtp_url:
        return 0
    smtp = smtp_options(settings.smtp_url)

    async def send(row: Row) -> None:
        await aiosmtplib.send(_message(row, settings.mail_from), **smtp)

    return await deliver_due(db, OUTBOX, send, limit=limit)


TROUBLE_MEMORY = 15 * 60


async def sending_fails(db: Database) -> bool:
    """Whether the latest attempts to send failed, with no message sent since (in the last
    15 minutes). It describes the mail server, the same for every address."""
    failed, sent = await queries.latest_attempts(db, since=clock.timestamp() - TROUBLE_MEMORY)
    return failed is not None and failed > (sent or 0)


async def retry_now(db: Database, settings: Settings) -> None:
    """Try the messages that failed again now, rather than after their back-off."""
    await queries.retry_failed_now(db, clock.timestamp())
    await send_due(db, settings)


ERASE_EVERY = 60.0


async def run_sender(
    db: Database, settings: Settings, wake: asyncio.Event, *, interval: float = 5.0
) -> None:
    """Send whenever woken (a mail was queued) or every `interval` seconds, until cancelled.
    Without SMTP_URL nothing is sent, but expired codes are still erased, once a minute."""
    while True:
        if not settings.smtp_url:
            await asyncio.sleep(ERASE_EVERY)
        try:
            await send_due(db, settings)
        except Exception:
            log.exception("mail sender failed; retrying")
        if settings.smtp_url:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=interval)
            wake.clear()


async def mailbox(db: Database, *, limit: int = 50) -> list[Row]:
    """The newest messages of the outbox that are not erased, for the development mailbox."""
    return await queries.newest_of_all(db, limit)
