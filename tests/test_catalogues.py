"""Translations: the template is current, every catalogue is complete, placeholders agree."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from portal import ROOT
from portal.i18n import LOCALES

POT = ROOT / "locales" / "messages.pot"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def catalog(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def ids(cat: Catalog) -> set[object]:
    return {message.id for message in cat if message.id}


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def test_template_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
         "-k", "N_", "--no-location", "-o", str(fresh), "."],
        cwd=ROOT, check=True,
    )
    missing = ids(catalog(fresh)) - ids(catalog(POT))
    stale = ids(catalog(POT)) - ids(catalog(fresh))
    assert not missing and not stale, (
        f"locales/messages.pot is stale (new: {sorted(map(str, missing))[:5]}, "
        f"gone: {sorted(map(str, stale))[:5]}): run `make translations-extract "
        "translations-update`, then translate.")


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_is_complete(locale: str) -> None:
    po = catalog(ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po")
    assert ids(po) == ids(catalog(POT)), "run `make translations-update`"
    problems = []
    for message in po:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = placeholders(sources[-1])
        for string in strings:
            found = placeholders(string)
            # A plural form may leave the count out ("one item"), never add or rename one.
            if found != expected and not (
                len(sources) > 1 and sorted(set(expected) - {"%(num)d"}) == found
            ):
                problems.append(f"placeholders {found} ≠ {expected}: {message.id!r}")
    assert not problems, "\n".join(problems)
