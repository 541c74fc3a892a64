"""Tax IDs: the types the portal takes, which countries offer them, and their validation with
python-stdnum (formats and check digits). Values are stored as Stripe stores them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from stdnum import exceptions
from stdnum.au import abn
from stdnum.br import cnpj, cpf
from stdnum.ca import bn
from stdnum.ch import uid
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.in_ import gstin
from stdnum.jp import cn
from stdnum.no import mva
from stdnum.us import ein

from portal import i18n
from portal.billing_details.errors import Problem
from portal.core.text import N_

EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()  # noqa: SIM905
)
VAT_PREFIX = {"GR": "EL"}  # the EU writes Greek VAT numbers with EL


@dataclass(frozen=True)
class TaxIdType:
    code: str  # Stripe's name: "eu_vat"
    name: str  # msgid
    countries: frozenset[str]
    module: ModuleType  # its python-stdnum module: validate() raises on a bad value
    example: str  # the shape of a value, shown as a hint
    stored: Callable[[str], str]  # the valid value as stored (and as Stripe shows it)


def _formatted(module: ModuleType) -> Callable[[str], str]:
    return lambda value: str(module.format(value))


def _compact(module: ModuleType, prefix: str = "") -> Callable[[str], str]:
    return lambda value: prefix + str(module.compact(value))


TYPES: dict[str, TaxIdType] = {
    t.code: t
    for t in (
        TaxIdType("eu_vat", N_("EU VAT number"), EU, eu_vat, "DE123456789", _compact(eu_vat)),
        TaxIdType(
            "gb_vat",
            N_("UK VAT number"),
            frozenset({"GB"}),
            gb_vat,
            "GB123456789",
            _compact(gb_vat, "GB"),
        ),
        TaxIdType(
            "ch_uid",
            N_("Swiss business ID (UID)"),
            frozenset({"CH", "LI"}),
            uid,
            "CHE-123.456.789",
            _formatted(uid),
        ),
        TaxIdType(
            "ch_vat",
            N_("Swiss VAT number"),
            frozenset({"CH", "LI"}),
            ch_vat,
            "CHE-123.456.789 MWST",
            _formatted(ch_vat),
        ),
        TaxIdType(
            "no_vat",
            N_("Norwegian VAT number"),
            frozenset({"NO"}),
            mva,
            "123456789MVA",
            _compact(mva),
        ),
        TaxIdType(
            "au_abn",
            N_("Australian Business Number (ABN)"),
            frozenset({"AU"}),
            abn,
            "12345678912",
            _compact(abn),
        ),
        TaxIdType(
            "ca_bn",
            N_("Canadian Business Number (BN)"),
            frozenset({"CA"}),
            bn,
            "123456789",
            _compact(bn),
        ),
        TaxIdType(
            "in_gst",
            N_("Indian GST number (GSTIN)"),
            frozenset({"IN"}),
            gstin,
            "12ABCDE3456FGZH",
            _compact(gstin),
        ),
        TaxIdType(
            "jp_cn",
            N_("Japanese Corporate Number"),
            frozenset({"JP"}),
            cn,
            "1234567891234",
            _compact(cn),
        ),
        TaxIdType(
            "us_ein",
            N_("US Employer Identification Number (EIN)"),
            frozenset({"US"}),
            ein,
            "12-3456789",
            _formatted(ein),
        ),
        TaxIdType(
            "br_cnpj",
            N_("Brazilian CNPJ number"),
            frozenset({"BR"}),
            cnpj,
            "01.234.456/5432-10",
            _formatted(cnpj),
        ),
        TaxIdType(
            "br_cpf",
            N_("Brazilian CPF number"),
            frozenset({"BR"}),
            cpf,
            "123.456.789-87",
            _formatted(cpf),
        ),
    )
}


def type_name(code: str) -> str:
    """A tax ID type's name in the reader's language (Stripe's code for a type not listed)."""
    tax_type = TYPES.get(code)
    return i18n.gettext(tax_type.name) if tax_type else code


def country_of(type_code: str, value: str, country: str | None) -> str:
    """The country a stored tax ID is of: an EU VAT number's prefix, else the customer's
    country when the type is offered there, else the type's own."""
    if type_code == "eu_vat":
        prefix = value[:2]
        return next((c for c, p in VAT_PREFIX.items() if p == prefix), prefix)
    countries = TYPES[type_code].countries
    return country if country in countries else min(countries)


def types_for(country: str | None) -> list[TaxIdType]:
    """The types a customer in `country` chooses from (every type when it is not known)."""
    offered = [t for t in TYPES.values() if country in t.countries]
    return offered or list(TYPES.values())


def normalize(type_code: str, value: str, country: str | None) -> str:
    """The value as stored, or a Problem saying what is wrong. An EU VAT number typed
    without its country prefix takes that of the customer's country."""
    tax_type = TYPES[type_code]
    value = value.strip()
    if not value:
        raise Problem(N_("Enter the number."))
    if tax_type is TYPES["eu_vat"] and value[:1].isdigit() and country in EU:
        value = VAT_PREFIX.get(country, country) + value
    try:
        tax_type.module.validate(value)
    except exceptions.InvalidChecksum:
        raise Problem(
            N_("This number has a typo: its check digits do not match. Check each digit.")
        ) from None
    except exceptions.ValidationError:
        raise Problem(
            N_("This is not a valid %(type)s. It looks like %(example)s."),
            type=i18n.gettext(tax_type.name),
            example=tax_type.example,
        ) from None
    return tax_type.stored(value)
