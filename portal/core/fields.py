"""Field types of stored objects (and of the load format): prefixed ids, times, money, currencies,
countries."""

from __future__ import annotations

from typing import Annotated

import pycountry
from babel.numbers import list_currencies
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from portal import i18n


def _prefixed(*prefixes: str) -> StringConstraints:
    alternatives = "|".join(prefixes)
    return StringConstraints(pattern=rf"^(?:{alternatives})_[A-Za-z0-9_]{{1,58}}$")


ProductId = Annotated[str, _prefixed("prod")]
PriceId = Annotated[str, _prefixed("price")]
CustomerId = Annotated[str, _prefixed("cus")]
PaymentMethodId = Annotated[str, _prefixed("pm", "card")]
SubscriptionId = Annotated[str, _prefixed("sub")]
SubscriptionItemId = Annotated[str, _prefixed("si")]
InvoiceId = Annotated[str, _prefixed("in")]
InvoiceLineId = Annotated[str, _prefixed("il", "ii", "sli")]
PromotionCodeId = Annotated[str, _prefixed("promo")]
ConfigurationId = Annotated[str, _prefixed("bpc")]
TaxIdId = Annotated[str, _prefixed("txi")]
ScheduleId = Annotated[str, StringConstraints(pattern=r"^sub_sched_[A-Za-z0-9_]{1,50}$")]
CouponId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Timestamp = Annotated[int, Field(ge=0, le=32503680000)]  # up to the year 3000
Amount = Annotated[int, Field(ge=0)]
Metadata = dict[str, str]
HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://\S{1,2040}$")]
ImageUrl = Annotated[str, StringConstraints(pattern=r"^(?:https://|/[^/])\S{1,2040}$")]
HexColour = Annotated[str, StringConstraints(pattern=r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]

_CURRENCIES = {code.lower() for code in list_currencies()}


def _currency(value: str) -> str:
    if value.lower() not in _CURRENCIES:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return value.lower()


def _country(value: str) -> str:
    if len(value) != 2 or pycountry.countries.get(alpha_2=value.upper()) is None:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return value.upper()


def _locale(value: str) -> str:
    if i18n.match(value) is None and not value.replace("-", "").isalpha():
        raise ValueError(f"'{value}' is not a language tag")
    return value


Currency = Annotated[str, AfterValidator(_currency)]
Country = Annotated[str, AfterValidator(_country)]
LocaleTag = Annotated[str, StringConstraints(max_length=16), AfterValidator(_locale)]


class Obj(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Stored(Obj):
    livemode: bool = False
    created: Timestamp


class Address(Obj):
    """A postal address, as Stripe writes one."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: Country | None = None
