"""Phone numbers with Google's libphonenumber (`phonenumbers`): stored in E.164, shown in the
national format of the customer's country and in international format otherwise."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from portal.billing_details.errors import Problem
from portal.core.text import N_


def normalize(value: str, country: str | None) -> str:
    """`value` typed nationally (read in `country`) or with its +country code, as E.164;
    Problem when it is not a number that can be dialled."""
    try:
        number = phonenumbers.parse(value, country)
    except NumberParseException as error:
        if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            raise Problem(N_("Start with + and the country code, such as +44.")) from None
        raise Problem(N_("This is not a phone number.")) from None
    if not phonenumbers.is_valid_number(number):
        raise Problem(
            N_("This is not a valid phone number. Check the digits and the country code.")
        )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display(value: str | None, country: str | None) -> str:
    """A stored number as the customer reads it; as stored when it cannot be read."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, country)
    except NumberParseException:
        return value
    national = country and phonenumbers.region_code_for_number(number) == country
    return phonenumbers.format_number(
        number, PhoneNumberFormat.NATIONAL if national else PhoneNumberFormat.INTERNATIONAL
    )
