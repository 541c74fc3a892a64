"""The customer's billing details: what the page shows, and saving what the configuration
lets them change. Each save is one transaction with one `customer.updated` event carrying
what changed; tax IDs are added and removed one at a time, each with its event. Invoices
already finalized keep the details they were finalized with (billing/invoices.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal import clock, objects
from portal.auth.emails import normalize_email, valid_email
from portal.billing import events
from portal.billing_details import addresses, phones, queries
from portal.billing_details import tax_ids as tax_id_rules
from portal.billing_details.errors import (
    DetailsNotEditable,
    EmailFixed,
    InvalidDetails,
    Problem,
    StaleDetails,
    TaxIdNotFound,
)
from portal.core.text import N_
from portal.db import Database, Row, new_id
from portal.merchant.configuration import Configuration
from portal.objects import shapes

CONTACT = ("name", "email", "phone")
MAX_TAX_IDS = 10
MAX_NAME = 256


@dataclass(frozen=True)
class Details:
    customer: Row
    tax_ids: list[Row]
    allowed: frozenset[str]  # what the customer may change here (customer_update)
    email_fixed: bool  # signed in by email: that address stays

    @property
    def country(self) -> str | None:
        address = self.customer["address"] or {}
        return address.get("country") or None

    @property
    def version(self) -> str:
        return version_of(self.customer)

    @property
    def editable(self) -> frozenset[str]:
        """What the details form holds (tax IDs have their own)."""
        return self.allowed - {"tax_id"}

    @property
    def tax_id_types(self) -> list[tax_id_rules.TaxIdType]:
        return tax_id_rules.types_for(self.country)

    @property
    def tax_id_choices(self) -> list[tuple[str, str]]:
        return [(t.code, tax_id_rules.type_name(t.code)) for t in self.tax_id_types]

    @property
    def values(self) -> dict[str, str]:
        """The details as the form shows them before any change."""
        customer = self.customer
        shipping = customer["shipping"] or {}
        values = {
            "name": customer["name"] or "",
            "email": customer["email"] or "",
            "phone": phones.display(customer["phone"], self.country),
            "shipping_name": shipping.get("name") or "",
        }
        for prefix, address in (
            ("address", customer["address"] or {}),
            ("shipping", shipping.get("address") or {}),
        ):
            for name in ("country", *addresses.FIELDS):
                values[f"{prefix}_{name}"] = address.get(name) or ""
            values[f"{prefix}_state"] = addresses.choice_for(
                address.get("country"), address.get("state")
            )
        return values


def version_of(customer: Row) -> str:
    """A digest of the details as shown: a form saved from an older page is found out."""
    shown = [customer[name] for name in (*CONTACT, "address", "shipping")]
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:20]


def allowed(configuration: Configuration) -> frozenset[str]:
    update = configuration.features.customer_update
    return frozenset(update.allowed_updates) if update.enabled else frozenset()


async def load(
    db: Database, configuration: Configuration, customer_id: str, signed_in_by_email: bool
) -> Details:
    customer = await queries.customer(db, customer_id)
    assert customer is not None
    return Details(
        customer,
        await queries.tax_ids_of(db, customer_id),
        allowed(configuration),
        signed_in_by_email,
    )


async def save(
    db: Database,
    configuration: Configuration,
    customer_id: str,
    signed_in_by_email: bool,
    form: Mapping[str, str],
) -> bool:
    """Save what the form changes among the details the configuration allows (the others
    are not read). InvalidDetails names each wrong field, and nothing is saved; StaleDetails
    when the details changed since the form was shown. True if anything changed."""
    editable = allowed(configuration) - {"tax_id"}  # the tax IDs have their own forms
    if not editable:
        raise DetailsNotEditable(business=configuration.business_name)
    async with db.transaction():
        customer = await queries.customer(db, customer_id, lock=True)
        assert customer is not None
        values = _read(customer, editable, signed_in_by_email, form, configuration)
        previous = {
            name: customer[name] for name, value in values.items() if customer[name] != value
        }
        if not previous:
            return False  # the same details again: a double submit changes nothing
        if form.get("version") != version_of(customer):
            raise StaleDetails()
        changed = {name: values[name] for name in previous}
        if "email" in changed:
            changed_row = {**changed, "email_normalized": normalize_email(changed["email"])}
        else:
            changed_row = changed
        await queries.update_customer(db, customer_id, changed_row)
        await events.record(
            db, "customer.updated", await objects.customer(db, customer_id), previous
        )
    return True


def _read(
    customer: Row,
    editable: frozenset[str],
    signed_in_by_email: bool,
    form: Mapping[str, str],
    configuration: Configuration,
) -> dict[str, Any]:
    """The new values of the editable details the form holds (one it leaves out keeps its
    value), or InvalidDetails."""
    values: dict[str, Any] = {}
    problems: dict[str, Problem] = {}
    if "name" in editable and "name" in form:
        name = " ".join(form.get("name", "").split())
        if len(name) > MAX_NAME:
            problems["name"] = Problem(N_("Use at most %(count)s characters."), count=MAX_NAME)
        values["name"] = name or None
    if "email" in editable and "email" in form:
        typed = form["email"].strip()
        if typed != (customer["email"] or ""):
            if signed_in_by_email:
                raise EmailFixed(business=configuration.business_name)
            email = valid_email(typed)
            if email is None:
                problems["email"] = Problem(
                    N_("Enter a valid email address, such as name@example.com.")
                )
            values["email"] = email
    if "address" in editable and "address_country" in form:
        values["address"] = _address(form, "address", problems)
    before = (customer["address"] or {}).get("country")
    country = (values.get("address") or {}).get("country") or before
    if "phone" in editable and "phone" in form:
        typed = form["phone"].strip()
        values["phone"] = None
        if typed and typed == phones.display(customer["phone"], before):
            values["phone"] = customer["phone"]  # as shown, untouched: kept as it is stored
        elif typed:
            try:
                values["phone"] = phones.normalize(typed, country)
            except Problem as problem:
                problems["phone"] = problem
    if "shipping" in editable and "shipping_country" in form:
        values["shipping"] = _shipping(form, problems)
    if problems:
        raise InvalidDetails(problems)
    return values


def _address(
    form: Mapping[str, str], prefix: str, problems: dict[str, Problem]
) -> dict[str, Any] | None:
    typed = {name: form.get(f"{prefix}_{name}", "") for name in ("country", *addresses.FIELDS)}
    if not any(typed[name].strip() for name in addresses.FIELDS):
        return None  # a country alone is not an address
    try:
        return addresses.normalize(typed)
    except addresses.InvalidAddress as invalid:
        problems.update({f"{prefix}_{name}": p for name, p in invalid.problems.items()})
        return None


def _shipping(form: Mapping[str, str], problems: dict[str, Problem]) -> dict[str, Any] | None:
    name = " ".join(form.get("shipping_name", "").split())
    before = len(problems)
    address = _address(form, "shipping", problems)
    if not name and address is None and len(problems) == before:
        return None  # nothing typed: no shipping address
    if not name:
        problems["shipping_name"] = Problem(N_("Fill in this field."))
    elif len(name) > MAX_NAME:
        problems["shipping_name"] = Problem(N_("Use at most %(count)s characters."), count=MAX_NAME)
    if address is None and len(problems) == before:
        problems["shipping_line1"] = Problem(N_("Fill in this field."))
    return {"name": name, "address": address, "phone": None}


async def add_tax_id(
    db: Database,
    configuration: Configuration,
    customer_id: str,
    type_code: str,
    value: str,
) -> None:
    """Add a tax ID of a type offered for the customer's country, or InvalidDetails."""
    if "tax_id" not in allowed(configuration):
        raise DetailsNotEditable(business=configuration.business_name)
    async with db.transaction():
        customer = await queries.customer(db, customer_id, lock=True)
        assert customer is not None
        country = (customer["address"] or {}).get("country")
        offered = {t.code for t in tax_id_rules.types_for(country)}
        if type_code not in offered:
            raise InvalidDetails({"tax_id_type": Problem(N_("Choose one from the list."))})
        try:
            stored = tax_id_rules.normalize(type_code, value, country)
        except Problem as problem:
            raise InvalidDetails({"tax_id_value": problem}) from None
        existing = await queries.tax_ids_of(db, customer_id)
        if any(t["type"] == type_code and t["value"] == stored for t in existing):
            return  # already there: a double submit adds it once
        if len(existing) >= MAX_TAX_IDS:
            raise InvalidDetails(
                {
                    "tax_id_value": Problem(
                        N_("You can add up to %(count)s tax IDs."), count=MAX_TAX_IDS
                    )
                }
            )
        row = {
            "id": new_id("txi"),
            "customer_id": customer_id,
            "type": type_code,
            "value": stored,
            "country": tax_id_rules.country_of(type_code, stored, country),
            "verification_status": "unverified",
            "created": clock.timestamp(),
        }
        await queries.insert_tax_id(db, row)
        await events.record(db, "customer.tax_id.created", shapes.tax_id(row))


async def remove_tax_id(
    db: Database, configuration: Configuration, customer_id: str, tax_id: str
) -> None:
    async with db.transaction():
        row = await queries.tax_id(db, customer_id, tax_id)
        if row is None:
            raise TaxIdNotFound()
        if "tax_id" not in allowed(configuration):
            raise DetailsNotEditable(business=configuration.business_name)
        await queries.delete_tax_id(db, customer_id, tax_id)
        await events.record(db, "customer.tax_id.deleted", shapes.tax_id(row))
