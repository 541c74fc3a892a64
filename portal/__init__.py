"""A self-hosted customer billing portal."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project tree: templates/, static/, locales/ and node_modules/ sit here."""
