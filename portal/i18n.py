"""Languages: which one a request gets, gettext for Python and Jinja2, Babel formatting."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date as datetime_date
from datetime import datetime
from decimal import Decimal
from functools import cache, lru_cache
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_currency_precision,
)
from babel.support import NullTranslations, Translations
from starlette.requests import Request

from portal import ROOT
from portal.billing.money import Money
from portal.clock import to_datetime
from portal.errors import PortalError

LOCALES = ("en", "fr", "de", "it", "ja", "zh_Hans", "es")
DEFAULT_LOCALE = "en"
COOKIE = "portal_locale"
LOCALE_DIR = ROOT / "locales"

# Tags whose language part alone would not find the catalogue.
_ALIASES = {
    "zh": "zh_Hans",
    "zh_cn": "zh_Hans",
    "zh_sg": "zh_Hans",
    "zh_hans": "zh_Hans",
    "zh_hans_cn": "zh_Hans",
    "zh_tw": "zh_Hans",
    "zh_hk": "zh_Hans",
    "zh_hant": "zh_Hans",
}
_BY_LOWER = {code.lower(): code for code in LOCALES}

_current: ContextVar[str] = ContextVar("portal_locale", default=DEFAULT_LOCALE)


def match(tag: str | None) -> str | None:
    """The supported locale for a BCP 47 or POSIX tag (`fr-CA` → fr, `zh-CN` → zh_Hans)."""
    if not tag:
        return None
    key = tag.strip().replace("-", "_").lower()
    if key in _BY_LOWER:
        return _BY_LOWER[key]
    if key in _ALIASES:
        return _ALIASES[key]
    language = key.split("_", 1)[0]
    return _BY_LOWER.get(language) or _ALIASES.get(language)


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags by preference (q-values, then order), without `*` and q=0."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


@lru_cache(maxsize=1024)
def negotiate(
    query: str | None, cookie: str | None, preferred: str | None, accept_language: str | None
) -> str:
    """The language to use (a pure function of its inputs, which repeat from request to
    request: cached)."""
    for candidate in (query, cookie, preferred):
        found = match(candidate)
        if found:
            return found
    for tag in parse_accept_language(accept_language):
        found = match(tag)
        if found:
            return found
    return DEFAULT_LOCALE


@cache
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def set_locale(locale: str) -> None:
    _current.set(locale)


def get_locale() -> str:
    return _current.get()


def gettext(message: str, **params: Any) -> str:
    text = translations(get_locale()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = translations(get_locale()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


@cache
def language_names() -> Mapping[str, str]:
    """Each language in its own words, for the switcher."""
    return {code: str(Locale.parse(code).get_display_name(code)).capitalize() for code in LOCALES}


@cache
def _babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


def babel_locale(locale: str | None = None) -> Locale:
    return _babel_locale(locale or get_locale())


# -- Formatting (Jinja2 filters) ---------------------------------------------------------
# Babel looks up the locale's symbols and applies the pattern on every call (tens of µs for
# an amount); a page shows the same few amounts and dates again and again. The results are
# pure functions of their arguments and the locale: cached, per locale, within a bound.

FORMATTED = 4096


def money(amount: int, currency: str) -> str:
    """Integer minor units → the locale's currency format (`1999, 'eur'` → `19,99 €` in fr)."""
    return _money(amount, currency, get_locale())


@lru_cache(maxsize=FORMATTED)
def _money(amount: int, currency: str, locale: str) -> str:
    code = currency.upper()
    value = Decimal(amount).scaleb(-get_currency_precision(code))
    return format_currency(value, code, locale=babel_locale(locale))


def number(value: int | Decimal) -> str:
    return _number(value, get_locale())


@lru_cache(maxsize=FORMATTED)
def _number(value: int | Decimal, locale: str) -> str:
    return format_decimal(value, locale=babel_locale(locale))


def percent(value: int | Decimal) -> str:
    """Whole percents in the locale's format (`20` → `20 %` in fr, `20%` in en)."""
    return _percent(value, get_locale())


@lru_cache(maxsize=FORMATTED)
def _percent(value: int | Decimal, locale: str) -> str:
    return format_percent(Decimal(value) / 100, locale=babel_locale(locale))


def _when(value: int | datetime) -> datetime:
    return value if isinstance(value, datetime) else to_datetime(value)


def date(value: int | datetime | None, format: str = "medium") -> str:
    # Babel formats the date part of a datetime: the day is the key.
    return "" if value is None else _date(_day(value), format, get_locale())


_EPOCH_DAY = datetime_date(1970, 1, 1).toordinal()


def _day(value: int | datetime) -> datetime_date:
    """The UTC day of a timestamp, counted in whole days (a list shows a date per row, and a
    datetime built only to drop its time costs most of the filter)."""
    if isinstance(value, datetime):
        return value.date()
    return datetime_date.fromordinal(_EPOCH_DAY + value // 86_400)


@lru_cache(maxsize=FORMATTED)
def _date(day: datetime_date, format: str, locale: str) -> str:
    return format_date(day, format=format, locale=babel_locale(locale))


def datetime_(value: int | datetime | None, format: str = "medium") -> str:
    return "" if value is None else _datetime(_when(value), format, get_locale())


@lru_cache(maxsize=FORMATTED)
def _datetime(moment: datetime, format: str, locale: str) -> str:
    return format_datetime(moment, format=format, tzinfo=None, locale=babel_locale(locale))


def error_text(error: PortalError) -> tuple[str, str]:
    """An error's title and message in the current language, its values worded for it."""
    params = {name: _worded(value) for name, value in error.params.items()}
    return gettext(error.title), gettext(error.message, **params)


def _worded(value: object) -> object:
    if isinstance(value, datetime):
        return date(value, "long")
    if isinstance(value, Money):
        return money(value.amount, value.currency)
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value)
    return value


FILTERS = {
    "money": money,
    "number": number,
    "percent": percent,
    "date": date,
    "datetime": datetime_,
}


def request_locale(request: Request, preferred: str | None = None) -> str:
    """This request's language; `preferred` is the signed-in customer's, once known."""
    return negotiate(
        request.query_params.get("locale"),
        request.cookies.get(COOKIE),
        preferred,
        request.headers.get("accept-language"),
    )


def locale_of(
    query_string: bytes, cookies: Mapping[str, str], accept_language: str | None
) -> tuple[str, bool]:
    """A request's language before sign-in, and whether `?locale=` chose it (the switcher's
    link, to be remembered in a cookie). For the request guard, which has no Request."""
    query = None
    if b"locale" in query_string:
        # As Starlette's query_params.get: the last value wins.
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
            if name == "locale":
                query = value
    locale = negotiate(query, cookies.get(COOKIE), None, accept_language)
    return locale, match(query) is not None


@lru_cache(maxsize=32)
def locale_cookie(locale: str, *, secure: bool) -> str:
    """The Set-Cookie value that remembers a language chosen with the switcher."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[COOKIE] = locale
    cookie[COOKIE].update({"path": "/", "max-age": str(365 * 86400), "samesite": "Lax"})
    if secure:
        cookie[COOKIE]["secure"] = True
    return cookie.output(header="").strip()
