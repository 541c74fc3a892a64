"""Signing in by email: one-time codes and the magic link mailed with them.

Numbers are in DESIGN.md §4. Codes and link tokens are stored only as keyed hashes. Every
answer to "send me a code" or to a typed code looks the same whether or not the email belongs
to a customer, and runs the same statements.

Nobody who cannot read the mailbox can keep its owner out, and guessing stays bounded (the
bound is in the README, "Limits"):
- A typed code only counts in the browser that asked for it (a random nonce in its login
  cookie, stored here as a keyed hash), so wrong guesses elsewhere never touch the owner's
  code. The magic link in the same mail works from any browser.
- There is no lock-out. Wrong tries are counted per email for a day; past WRONG_TRIES_SHORT
  of them, new codes have 10 digits and 6-digit codes are no longer checked.
- Requests are capped per browser (one a minute), per email (EMAIL_CODES, against mail
  bombs; the newest mail's link still signs the owner in) and per IP address.
"""

from __future__ import annotations

import asyncio
import secrets
import time

from portal import clock, mail
from portal.auth import queries, sessions
from portal.auth.emails import normalize_email
from portal.auth.throttles import Throttle
from portal.db import Database, Row, new_id
from portal.errors import (
    CodeNotAccepted,
    CodesAlreadySent,
    InvalidCodeFormat,
    ResendTooSoon,
    ShortCodeRetired,
    SignInLinkNotAccepted,
)
from portal.merchant.configuration import Configuration
from portal.security import keyed_hash, new_token, same
from portal.settings import Settings

CODE_LIFETIME = 10 * 60
CODE_TRIES = 5  # wrong tries that end a typed code (not its magic link)
SHORT_DIGITS = 6
LONG_DIGITS = 10
WRONG_TRIES_SHORT = 10  # wrong tries per email and window while codes have 6 digits
WRONG_TRIES_WINDOW = 24 * 3600
RESEND_INTERVAL = 60  # one code a minute per browser and email
EMAIL_CODES = (5, 600)  # codes mailed per email per 10 minutes
IP_REQUESTS = (30, 900)  # code requests per IP per 15 minutes
IP_VERIFICATIONS = (60, 900)  # code checks per IP per 15 minutes
IP_RETRIES = (10, 900)  # "try again" (sending mail) per IP per 15 minutes
REQUEST_CODE_SECONDS = 0.1


def _code_hash(settings: Settings, configuration_id: str, email: str, code: str) -> str:
    return keyed_hash(settings.secret_key, "login-code", f"{configuration_id}\n{email}\n{code}")


def browser_hash(settings: Settings, browser: str) -> str:
    return keyed_hash(settings.secret_key, "login-browser", browser)


def new_code(digits: int) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def spaced(code: str) -> str:
    """Long codes are shown in groups of five: `48291 73655`."""
    return code if len(code) <= SHORT_DIGITS else f"{code[:5]} {code[5:]}"


def magic_link(settings: Settings, link_id: str, token: str) -> str:
    """Built from BASE_URL, never from the request's Host header."""
    return f"{settings.base_url}/p/login/{link_id}/magic/{token}"


async def request_code(
    db: Database,
    settings: Settings,
    configuration: Configuration,
    email: str,
    *,
    browser: str,
    ip: str,
    locale: str,
) -> int:
    """Mail a code and a magic link to the customer with this email, if there is one; returns
    the number of digits codes for this email have now (the same for every email).

    Every request takes at least REQUEST_CODE_SECONDS, so that the time of an answer says
    nothing about the email even if the database is slower writing than not writing."""
    started = time.monotonic()
    try:
        return await _request_code(
            db, settings, configuration, email, browser=browser, ip=ip, locale=locale
        )
    finally:
        await asyncio.sleep(max(0.0, started + REQUEST_CODE_SECONDS - time.monotonic()))


async def code_digits(throttle: Throttle, normalized: str) -> int:
    wrong = await throttle.current("wrong-tries", normalized, WRONG_TRIES_WINDOW)
    return LONG_DIGITS if wrong >= WRONG_TRIES_SHORT else SHORT_DIGITS


async def _request_code(
    db: Database,
    settings: Settings,
    configuration: Configuration,
    email: str,
    *,
    browser: str,
    ip: str,
    locale: str,
) -> int:
    normalized = normalize_email(email)
    throttle = Throttle(db, settings.secret_key)
    await throttle.count("request-ip", ip, *IP_REQUESTS)
    # Counted per email whether or not a customer has it, so that answers do not differ; the
    # same statements run for both too (for a stranger they match no customer).
    async with db.transaction():
        if await throttle.hit("resend", f"{browser}\n{normalized}", RESEND_INTERVAL) > 1:
            raise ResendTooSoon()
        limit, window = EMAIL_CODES
        if await throttle.hit("request-email", normalized, window) > limit:
            raise CodesAlreadySent()
        digits = await code_digits(throttle, normalized)
        customer_id = await queries.customer_for_email(db, normalized)
        code, token, now = new_code(digits), new_token(), clock.timestamp()
        context = _mail_context(settings, configuration, code, token)
        browser_key = browser_hash(settings, browser)
        await queries.retire_codes(db, normalized, configuration.id, browser_key, now)
        await queries.insert_code(
            db,
            customer_id,
            id=new_id("lc"),
            configuration_id=configuration.id,
            email_normalized=normalized,
            browser_hash=browser_key,
            digits=digits,
            locale=locale,
            attempts=0,
            created=now,
            expires_at=now + CODE_LIFETIME,
            code_hash=_code_hash(settings, configuration.id, normalized, code),
            link_token_hash=keyed_hash(settings.secret_key, "magic-link", token),
        )
        # To the address on file, never the one typed: they match, but are not always equal.
        await mail.queue_to_customer(
            db,
            customer_id,
            template="login_code",
            locale=locale,
            context=context,
            expires_at=now + CODE_LIFETIME,
            test_mode=settings.test_mode,
        )
    return digits


def _mail_context(
    settings: Settings, configuration: Configuration, code: str, token: str
) -> dict[str, object]:
    return {
        **mail.business_context(configuration),
        "code": spaced(code),
        "magic_link": magic_link(settings, str(configuration.login_link_id), token),
        "minutes": CODE_LIFETIME // 60,
    }


async def sending_fails(db: Database) -> bool:
    """Whether the code page should say mail could not be sent: from the mail server's recent
    attempts, never from the address (that would tell who is a customer)."""
    return await mail.sending_fails(db)


async def retry_sending(db: Database, settings: Settings, *, ip: str) -> None:
    """ "Try again" on the code page: every message that failed is tried again now, whoever
    asks (the answer cannot depend on the address)."""
    await Throttle(db, settings.secret_key).count("retry-ip", ip, *IP_RETRIES)
    await mail.retry_now(db, settings)


def _live(code: Row, now: int) -> bool:
    return code["consumed_at"] is None and code["expires_at"] > now


def _typable(code: Row | None, now: int) -> bool:
    return code is not None and _live(code, now) and code["attempts"] < CODE_TRIES


async def verify_code(
    db: Database,
    settings: Settings,
    configuration: Configuration,
    email: str,
    code: str,
    *,
    browser: str,
    ip: str,
) -> str:
    """Check a typed code against the newest one this browser asked for; returns a new
    session's token. Wrong tries are counted even though the request fails, so they are
    committed before the error is raised."""
    code = "".join(code.split())
    if not (len(code) in (SHORT_DIGITS, LONG_DIGITS) and code.isascii() and code.isdigit()):
        raise InvalidCodeFormat()
    normalized = normalize_email(email)
    throttle = Throttle(db, settings.secret_key)
    await throttle.count("verify-ip", ip, *IP_VERIFICATIONS)
    token = None
    async with db.transaction():
        # Counted before the check and taken back when right: parallel tries cannot get past
        # the limit together.
        wrong = await throttle.hit("wrong-tries", normalized, WRONG_TRIES_WINDOW)
        checked = len(code) == LONG_DIGITS or wrong <= WRONG_TRIES_SHORT
        now = clock.timestamp()
        row = await queries.latest_code(
            db, normalized, configuration.id, browser_hash(settings, browser)
        )
        usable = row if row is not None and _typable(row, now) else None
        expected = _code_hash(settings, configuration.id, normalized, code)
        # The atomic consume is what makes two parallel submissions give one session.
        if (
            checked
            and usable is not None
            and same(usable["code_hash"], expected)
            and await queries.consume_code(db, usable["id"], now)
        ):
            await throttle.take_back("wrong-tries", normalized)
            token = await sessions.start(db, settings, usable)
        else:
            await queries.count_wrong_try(db, usable["id"] if usable else None)
    if token is None:
        raise CodeNotAccepted() if checked else ShortCodeRetired()
    return token


async def magic_link_code(db: Database, settings: Settings, token: str) -> Row:
    """The code a magic link travels with, if the link can still be used (read only). Wrong
    typed tries do not end it: it cannot be guessed (256 bits), and only the mailbox has it."""
    row = await queries.code_by_link(db, keyed_hash(settings.secret_key, "magic-link", token))
    if row is None or not _live(row, clock.timestamp()):
        raise SignInLinkNotAccepted()
    return row


async def confirm_magic_link(db: Database, settings: Settings, token: str) -> str:
    """The POST behind the magic link's confirm button; returns a new session's token."""
    async with db.transaction():
        row = await magic_link_code(db, settings, token)
        if not await queries.consume_code(db, row["id"], clock.timestamp()):
            raise SignInLinkNotAccepted()
        return await sessions.start(db, settings, row)
