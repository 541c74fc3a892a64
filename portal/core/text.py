"""Marking text for translation where it is defined, to be translated where it is shown."""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a msgid for extraction; the reader's language is chosen when it is shown."""
    return message
