"""The rules billing details are checked by, each from a well-kept library: tax IDs of every
listed type (formats and check digits), phone numbers typed nationally or internationally,
and addresses per country."""

from __future__ import annotations

import pytest

from portal import i18n
from portal.billing_details import addresses, phones, tax_ids
from portal.billing_details.errors import Problem

# (type, valid as typed, stored as, invalid, the customer's country)
TAX_IDS = [
    ("eu_vat", "BE 0697.449.992", "BE0697449992", "BE0697449993", "BE"),
    ("eu_vat", "094259216", "EL094259216", "094259217", "GR"),  # the prefix is added
    ("eu_vat", "FR 61 954 506 077", "FR61954506077", "FR61954506078", "FR"),
    ("eu_vat", "DE136695976", "DE136695976", "DE136695977", "DE"),
    ("gb_vat", "GB 980 7806 84", "GB980780684", "GB802311781", "GB"),
    ("ch_uid", "CHE-100.155.212", "CHE-100.155.212", "CHE-100.155.213", "CH"),
    ("ch_vat", "CHE-107.787.577 MWST", "CHE-107.787.577 MWST", "CHE-107.787.578 MWST", "CH"),
    ("no_vat", "NO 995 525 828 MVA", "995525828MVA", "NO 995 525 829 MVA", "NO"),
    ("au_abn", "83 914 571 673", "83914571673", "99 999 999 999", "AU"),
    ("ca_bn", "12302 6635", "123026635", "12345678Z", "CA"),
    ("in_gst", "27AAPFU0939F1ZV", "27AAPFU0939F1ZV", "27AAPFU0939F1AA", "IN"),
    ("jp_cn", "5-8356-7825-6246", "5835678256246", "2-8356-7825-6246", "JP"),
    ("us_ein", "911144442", "91-1144442", "07-1144442", "US"),
    ("br_cnpj", "16727230000197", "16.727.230/0001-97", "16.727.230/0001-98", "BR"),
    ("br_cpf", "39053344705", "390.533.447-05", "231.002.999-00", "BR"),
]


@pytest.mark.parametrize(("type_", "typed", "stored", "invalid", "country"), TAX_IDS)
def test_a_valid_and_an_invalid_tax_id_of_each_type(
    type_: str, typed: str, stored: str, invalid: str, country: str
) -> None:
    assert tax_ids.normalize(type_, typed, country) == stored
    with pytest.raises(Problem):
        tax_ids.normalize(type_, invalid, country)
    assert type_ in {t.code for t in tax_ids.types_for(country)}


def test_every_eu_member_state_takes_eu_vat_numbers() -> None:
    assert len(tax_ids.EU) == 27
    assert all(tax_ids.types_for(c) == [tax_ids.TYPES["eu_vat"]] for c in tax_ids.EU)
    assert tax_ids.types_for(None) == list(tax_ids.TYPES.values())


def test_a_wrong_check_digit_and_a_wrong_shape_say_different_things() -> None:
    i18n.set_locale("en")
    with pytest.raises(Problem) as typo:
        tax_ids.normalize("eu_vat", "DE136695977", "DE")
    with pytest.raises(Problem) as shape:
        tax_ids.normalize("eu_vat", "DE12", "DE")
    assert "check digits" in typo.value.message
    assert shape.value.params == {"type": "EU VAT number", "example": "DE123456789"}


@pytest.mark.parametrize(
    ("typed", "country", "stored", "shown"),
    [
        ("020 7946 0018", "GB", "+442079460018", "020 7946 0018"),  # national
        ("+44 20 7946 0018", "FR", "+442079460018", "+44 20 7946 0018"),  # international
        ("(415) 555-2671", "US", "+14155552671", "(415) 555-2671"),
        ("03-1234-5678", "JP", "+81312345678", "03-1234-5678"),
        ("+49 30 901820", None, "+4930901820", "+49 30 901820"),
    ],
)
def test_phone_numbers_national_and_international(
    typed: str, country: str | None, stored: str, shown: str
) -> None:
    assert phones.normalize(typed, country) == stored
    assert phones.display(stored, country) == shown


@pytest.mark.parametrize("typed", ["12", "020 7946", "+999 1234", "call me"])
def test_what_is_not_a_phone_number(typed: str) -> None:
    with pytest.raises(Problem):
        phones.normalize(typed, "GB")


def test_a_national_number_without_a_country_asks_for_the_country_code() -> None:
    with pytest.raises(Problem) as problem:
        phones.normalize("020 7946 0018", None)
    assert "+44" in problem.value.message


ADDRESSES = {
    "US": (
        {
            "line1": "1600 Amphitheatre Pkwy",
            "city": "Mountain View",
            "state": "CA",
            "postal_code": "94043",
        },
        {"postal_code": "9404", "state": "XX"},
        {"state", "postal_code"},
    ),
    "GB": (
        {"line1": "10 Downing Street", "city": "London", "postal_code": "sw1a 2aa"},
        {"postal_code": "12345"},
        {"postal_code"},
    ),
    "DE": (
        {"line1": "Friedrichstraße 43", "city": "Berlin", "postal_code": "10117"},
        {"postal_code": "1011"},
        {"postal_code"},
    ),
    "JP": (
        {"line1": "千代田1-1", "state": "東京都", "postal_code": "100-0001"},
        {"state": "Texas"},
        {"state"},
    ),
    "BR": (
        {
            "line1": "Av. Paulista, 1578",
            "city": "São Paulo",
            "state": "SP",
            "postal_code": "01310-200",
        },
        {"postal_code": "0131"},
        {"postal_code"},
    ),
}


@pytest.mark.parametrize("country", list(ADDRESSES))
def test_address_rules_per_country(country: str) -> None:
    valid, wrong, fields = ADDRESSES[country]
    stored = addresses.normalize({"country": country, **valid})
    assert stored["country"] == country and stored["line1"] == valid["line1"]
    with pytest.raises(addresses.InvalidAddress) as invalid:
        addresses.normalize({"country": country, **valid, **wrong})
    assert set(invalid.value.problems) == fields
    with pytest.raises(addresses.InvalidAddress) as missing:
        addresses.normalize({"country": country, "line1": valid["line1"]})
    required = {f.name for f in addresses.form(country, "en") if f.required} - {"line1"}
    assert set(missing.value.problems) == required


def test_postal_codes_are_stored_in_the_countrys_form() -> None:
    assert (
        addresses.normalize(
            {
                "country": "GB",
                "line1": "10 Downing Street",
                "city": "London",
                "postal_code": "sw1a 2aa",
            }
        )["postal_code"]
        == "SW1A 2AA"
    )


@pytest.mark.parametrize(
    ("country", "locale", "order"),
    [
        ("US", "en", ["line1", "line2", "city", "state", "postal_code"]),
        ("DE", "de", ["line1", "line2", "postal_code", "city"]),
        ("JP", "ja", ["postal_code", "state", "line1", "line2"]),  # 〒, then the prefecture
        ("JP", "en", ["line1", "line2", "state", "postal_code"]),
        ("BR", "pt", ["line1", "line2", "city", "state", "postal_code"]),
    ],
)
def test_fields_come_in_each_countrys_order(country: str, locale: str, order: list[str]) -> None:
    assert [f.name for f in addresses.form(country, locale)] == order


def test_names_in_the_readers_language() -> None:
    i18n.set_locale("fr")
    assert dict(addresses.countries("fr"))["DE"] == "Allemagne"
    assert dict(addresses.form("US", "fr")[3].choices)["AS"] == "Samoa américaines"
    assert dict(addresses.form("JP", "ja")[1].choices)["東京都"] == "東京都"
    assert dict(addresses.form("JP", "en")[2].choices)["東京都"] == "Tokyo"
    assert addresses.lines(
        {"line1": "2-4-9 Umeda", "state": "大阪府", "postal_code": "530-0001", "country": "JP"},
        "fr",
    ) == ["2-4-9 Umeda, 大阪府", "530-0001", "Japon"]


@pytest.mark.parametrize(
    ("country", "stored", "value"),
    [
        ("JP", "Osaka", "大阪府"),
        ("CN", "Shanghai", "上海市"),
        ("US", "california", "CA"),
        ("IT", "MI", "MI"),
    ],
)
def test_a_state_stored_another_way_is_found_in_the_list(
    country: str, stored: str, value: str
) -> None:
    assert addresses.choice_for(country, stored) == value
