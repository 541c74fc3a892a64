"""Email addresses as customers type them, and the form they are matched on.

Kept apart from the sign-in rules so that migrations can use it without the web stack."""

from __future__ import annotations

import contextlib
import string

from email_validator import EmailNotValidError, validate_email

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def normalize_email(email: str) -> str:
    """The form emails are matched on, which never merges two deliverable mailboxes.

    Only ASCII letters are lower-cased. Unicode case-folding and compatibility forms would
    make `straße` match `strasse`, final sigma match sigma, the Kelvin sign match `k` and the
    `fi` ligature match `fi`: different mailboxes, whose owners would then receive each
    other's codes. Even NFC is left out of the local part (it turns the Kelvin sign into `K`).
    The domain is IDNA-encoded as email-validator does (UTS-46, non-transitional: `ß` and
    final sigma stay), which is how mail to it is routed anyway."""
    address = email.strip()
    local, _, domain = address.rpartition("@")
    # Not an address anyone can receive mail at: kept as it is, distinct all the same.
    with contextlib.suppress(EmailNotValidError):
        domain = validate_email(address, check_deliverability=False).ascii_domain
    return f"{local.translate(_ASCII_LOWER)}@{domain.translate(_ASCII_LOWER)}"


def valid_email(value: str | None) -> str | None:
    """The address as typed with its domain in normalized spelling, or None when it is not an
    email address. The local part is kept as typed: its Unicode normalization could turn it
    into another mailbox's name (see normalize_email)."""
    if not value or len(value) > 512:
        return None
    address = value.strip()
    try:
        domain = validate_email(address, check_deliverability=False).domain
    except EmailNotValidError:
        return None
    return f"{address.rpartition('@')[0]}@{domain}"


def prefilled_email(value: str | None) -> str:
    """`?prefilled_email=` when it is a valid address; anything else is silently dropped."""
    return valid_email(value) or ""
