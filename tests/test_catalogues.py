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


def texts(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """A catalogue entry's msgid or msgstr as its forms (one, or one per plural form)."""
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


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
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    missing = ids(catalog(fresh)) - ids(catalog(POT))
    stale = ids(catalog(POT)) - ids(catalog(fresh))
    assert not missing and not stale, (
        f"locales/messages.pot is stale (new: {sorted(map(str, missing))[:5]}, "
        f"gone: {sorted(map(str, stale))[:5]}): run `make translations-extract "
        "translations-update`, then translate."
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_is_complete(locale: str) -> None:
    po = catalog(ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po")
    assert ids(po) == ids(catalog(POT)), "run `make translations-update`"
    problems = []
    for message in po:
        if not message.id:
            continue
        strings = texts(message.string)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
            continue
        sources = texts(message.id)
        expected = placeholders(sources[-1])
        for string in strings:
            found = placeholders(string)
            # A plural form may leave the count out ("one item"), never add or rename one.
            if found != expected and not (
                len(sources) > 1 and sorted(set(expected) - {"%(num)d"}) == found
            ):
                problems.append(f"placeholders {found} ≠ {expected}: {message.id!r}")
    assert not problems, "\n".join(problems)


# One word per language for each thing the portal talks about (a translation must use it
# wherever the English does), and one form for actions: buttons, links and the headings that
# name what a page does are infinitives in French and Spanish, never imperatives.
GLOSSARY: dict[str, dict[str, str | tuple[str, ...]]] = {
    "fr": {
        "plan": "forfait",
        "subscription": "abonnement",
        "invoice": "facture",
        "payment method": ("moyen de paiement", "moyens de paiement"),
        "billing": "factur",
        "promotion code": "code promotionnel",
    },
    "de": {
        "plan": "tarif",
        "subscription": "abonnement",
        "invoice": "rechnung",
        "payment method": "zahlungsmethode",
        "billing": ("abrechnung", "rechnungsadresse"),  # the latter: "billing address"
        "promotion code": "aktionscode",
    },
    "it": {
        "plan": "pian",
        "subscription": "abbonament",
        "invoice": "fattur",
        "payment method": ("metodo di pagamento", "metodi di pagamento"),
        "billing": "fatturazione",
        "promotion code": "codice promozionale",
    },
    "ja": {
        "plan": "プラン",
        "subscription": "サブスクリプション",
        "invoice": "請求書",
        "payment method": "支払い方法",
        "billing": "請求",
        "promotion code": "プロモーションコード",
    },
    "zh_Hans": {
        "plan": "方案",
        "subscription": "订阅",
        "invoice": "发票",
        "payment method": "付款方式",
        "billing": ("账单", "计费周期"),
        "promotion code": "优惠码",
    },
    "es": {
        "plan": "plan",
        "subscription": "suscripci",
        "invoice": "factura",
        "payment method": ("método de pago", "métodos de pago"),
        "billing": "facturación",
        "promotion code": "código promocional",
    },
}
# Words the glossary must not meet elsewhere: another term for the same thing.
AVOID = {
    "fr": ["changez", "retour sur"],
    "de": ["überprüfen"],
    "it": [],
    "ja": ["このサービス", "次回のご請求"],
    "zh_Hans": ["变更"],
    "es": ["página web", "vencida:", "vence:"],
}
ACTIONS = [
    "Change plan",
    "Change your plan",
    "Manage your billing",
    "Confirm the change",
    "Continue",
    "Keep my current plan",
    "Pay %(amount)s and change plan",
    "Preview the change",
    "Send a new code",
    "Send me a code",
    "Sign in",
    "Sign in again",
    "Sign out",
    "Use another email address",
    "Skip to main content",
    "Back to billing",
    "Return to the website",
    "Cancel subscription",
    "Cancel your subscription",
    "Cancel now",
    "Cancel on %(date)s",
    "Keep my subscription",
    "Accept the offer and stay",
    "Pause payments",
    "Resume payments now",
    "Keep paying as usual",
    "Manage payment methods",
    "Make default",
    "Remove",
    "Add a card",
    "Save card",
    "Update billing details",
    "Save",
    "Cancel",
    "Add",
    "Add a tax ID",
    "Download PDF",
    "Show the fields for this country",
]
INFINITIVE = {
    "fr": re.compile(r"^(se |m'|s')?\w+(er|ir|re)\b"),
    "es": re.compile(r"^\w*(ar|er|ir)(me|te|se)?\b"),
}


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != "en"])
def test_one_term_per_thing(locale: str) -> None:
    po = catalog(ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po")
    problems = []
    for message in po:
        if not message.id:
            continue
        source = texts(message.id)[0].lower()
        strings = texts(message.string)
        for english, words in GLOSSARY[locale].items():
            allowed = (words,) if isinstance(words, str) else words
            # Whole words: "plan" and "plans", not "explanation".
            if re.search(rf"\b{english}s?\b", source) and not all(
                any(word in text.lower() for word in allowed) for text in strings
            ):
                problems.append(f"{english!r} is not {words!r} in {message.id!r}: {strings}")
        for avoided in AVOID[locale]:
            if any(avoided in text.lower() for text in strings):
                problems.append(f"{avoided!r} in {message.id!r}: {strings}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != "en"])
def test_the_same_action_has_the_same_words(locale: str) -> None:
    po = catalog(ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po")
    assert po["Change plan"].string == po["Change your plan"].string
    pattern = INFINITIVE.get(locale)
    if pattern is not None:
        wrong = [
            (msgid, po[msgid].string)
            for msgid in ACTIONS
            if not pattern.match(str(po[msgid].string).lower())
        ]
        assert not wrong, wrong
