"""`POST /v1/billing_portal/sessions`: a one-time URL that opens a customer's portal."""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from portal import i18n
from portal.api import flows
from portal.api.endpoint import Call
from portal.api.errors import InvalidRequest
from portal.auth import sessions
from portal.billing import events

StripeLocale = Literal[
    "auto", "bg", "cs", "da", "de", "el", "en", "en-AU", "en-CA", "en-GB", "en-IE", "en-IN",
    "en-NZ", "en-SG", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "hr", "hu", "id", "it",
    "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl",
    "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
]  # fmt: skip


class SessionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: str
    configuration: str | None = None
    return_url: str | None = None
    locale: StripeLocale | None = None
    on_behalf_of: str | None = None
    flow_data: dict[str, Any] | None = None
    expand: list[str] = []


async def create(call: Call) -> dict[str, Any]:
    params = SessionParams.model_validate(call.params)
    if params.on_behalf_of:
        raise InvalidRequest(
            "on_behalf_of is not supported: the portal serves one business.",
            param="on_behalf_of",
        )
    locale = params.locale
    try:
        async with call.db.transaction():
            new = await sessions.issue(
                call.db,
                call.settings,
                customer_id=params.customer,
                configuration_id=params.configuration,
                return_url=params.return_url,
                # A language the portal does not speak: the customer's own, or their browser's.
                locale=locale if locale is None or i18n.match(locale) else "auto",
                livemode=call.livemode,
                flow=None
                if params.flow_data is None
                else functools.partial(
                    flows.check, call.db, customer_id=params.customer, raw=params.flow_data
                ),
            )
            body = session_object(new, call.livemode, locale)
            # The event leaves out the URL: it signs in whoever holds it, and events are kept.
            await events.record(call.db, "billing_portal.session.created", {**body, "url": None})
    except sessions.SessionRequestError as error:
        raise InvalidRequest(str(error), param=error.param, code=CODES.get(error.param)) from None
    return body


# Stripe answers 400 for an object named in a parameter that does not exist.
CODES = {
    "customer": "resource_missing",
    "configuration": "resource_missing",
    "return_url": "url_invalid",
}


def session_object(new: sessions.NewSession, livemode: bool, locale: str | None) -> dict[str, Any]:
    return {
        "id": new.id,
        "object": "billing_portal.session",
        "configuration": new.configuration_id,
        "created": new.created,
        "customer": new.customer_id,
        "customer_account": None,
        "flow": flows.flow_object(new.flow),
        "livemode": livemode,
        "locale": locale,
        "on_behalf_of": None,
        "return_url": new.return_url,
        "url": new.url,
    }
