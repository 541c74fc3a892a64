"""Sign-in rules."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def normalize_email(email: str) -> str:
    """The form emails are matched on: trimmed and case-folded."""
    return email.strip().casefold()


def prefilled_email(value: str | None) -> str:
    """`?prefilled_email=` when it is a valid address; anything else is silently dropped."""
    if not value or len(value) > 512:
        return ""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return ""
