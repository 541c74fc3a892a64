"""Language negotiation, formatting, and pages in every language."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from portal import i18n
from portal.clock import to_datetime
from portal.db import Database
from tests import factories
from tests.conftest import html


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("FR_ca", "fr"),
        ("de-AT", "de"),
        ("it-CH", "it"),
        ("ja-JP", "ja"),
        ("zh-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-Hans-CN", "zh_Hans"),
        ("es-419", "es"),
        ("en-GB", "en"),
        ("pt-BR", None),
        ("", None),
    ],
)
def test_match(tag: str, locale: str | None) -> None:
    assert i18n.match(tag) == locale


@pytest.mark.parametrize(
    ("query", "cookie", "preferred", "header", "expected"),
    [
        ("ja", "fr", "de", "es", "ja"),
        (None, "fr", "de", "es", "fr"),
        ("klingon", "fr", None, "es", "fr"),
        (None, None, "de", "es", "de"),
        (None, None, None, "pt-BR,es;q=0.8,fr;q=0.9", "fr"),
        (None, None, None, "pt-BR, *;q=0.5", "en"),
        (None, None, None, "fr;q=0, it", "it"),
        (None, None, None, None, "en"),
    ],
)
def test_negotiation_order(
    query: str | None, cookie: str | None, preferred: str | None, header: str | None, expected: str
) -> None:
    assert i18n.negotiate(query, cookie, preferred, header) == expected


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "expected"),
    [
        ("en", 123456, "usd", "$1,234.56"),
        ("fr", 123456, "eur", "1\u202f234,56\xa0€"),
        ("de", 123456, "eur", "1.234,56\xa0€"),
        ("ja", 1500, "jpy", "￥1,500"),
        ("en", 1500, "jpy", "¥1,500"),
        ("es", 999, "eur", "9,99\xa0€"),
    ],
)
def test_money_uses_minor_units_and_the_locale(
    locale: str, amount: int, currency: str, expected: str
) -> None:
    i18n.set_locale(locale)
    try:
        assert i18n.money(amount, currency) == expected
    finally:
        i18n.set_locale("en")


def test_dates_follow_the_locale() -> None:
    i18n.set_locale("fr")
    try:
        assert i18n.date(1_793_491_200, "long") == "1 novembre 2026"
    finally:
        i18n.set_locale("en")


@pytest.mark.parametrize(
    "timestamp", [0, -1, 86_399, 86_400, -86_401, 951_782_400, 1_793_577_599, 4_102_444_800]
)
def test_a_timestamp_is_shown_on_its_utc_day(timestamp: int) -> None:
    assert i18n.date(timestamp, "short") == i18n.date(to_datetime(timestamp), "short")


HEADINGS = {
    "fr": ("fr", "fr"),
    "de": ("de", "de"),
    "it": ("it", "it"),
    "ja": ("ja", "ja"),
    "zh-CN": ("zh-Hans", "zh_Hans"),
    "es": ("es", "es"),
    "en-US": ("en", "en"),
}


@pytest.mark.parametrize("accept", sorted(HEADINGS))
async def test_login_page_in_each_language(client: AsyncClient, db: Database, accept: str) -> None:
    data = await factories.customer_with_plan(db)
    link = data["configuration"]["login_page"]["link_id"]
    response = await client.get(f"/p/login/{link}", headers={"accept-language": accept})
    assert response.status_code == 200
    page = html(response)
    lang, locale = HEADINGS[accept]
    assert page.css_first("html").attributes["lang"] == lang
    i18n.set_locale(locale)
    try:
        assert page.css_first("h1").text() == i18n.gettext("Manage your billing")
        assert page.css_first("button").text() == i18n.gettext("Continue")
    finally:
        i18n.set_locale("en")
    if locale != "en":
        assert page.css_first("h1").text() != "Manage your billing"
