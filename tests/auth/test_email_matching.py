"""Which typed addresses reach which customer: never a look-alike mailbox (README "Signing in")."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from portal import clock, migrations
from portal.auth.emails import normalize_email, valid_email
from portal.db import Database
from portal.tables import customers, outbox_emails
from tests import factories
from tests.auth.helpers import ask_for_code, code_in, enter_code, last_mail

# (customer on file, a different mailbox that Unicode case-folding or NFKC would merge with it)
LOOK_ALIKES = [
    ("strasse@example.com", "straße@example.com"),  # ß → ss
    ("ana@strasse.de", "ana@straße.de"),  # ß in the domain
    ("anaσ@example.com", "anaς@example.com"),  # final sigma, sigma
    ("ana@σσ.gr", "ana@ςσ.gr"),  # final sigma in the domain
    ("kim@example.com", "\u212aim@example.com"),  # Kelvin sign → k
    ("fin@example.com", "\ufb01n@example.com"),  # ﬁ ligature → fi
    ("ana@example.com", "\u0430na@example.com"),  # Cyrillic a
    ("ana@example.com", "ana+billing@example.com"),  # sub-addresses are other mailboxes
    ("ana+billing@example.com", "ana@example.com"),
]


@pytest.mark.parametrize(("on_file", "typed"), LOOK_ALIKES)
def test_look_alikes_are_different_addresses(on_file: str, typed: str) -> None:
    assert valid_email(typed) is not None
    assert normalize_email(on_file) != normalize_email(typed)


def test_ascii_case_and_the_domain_spelling_do_not_matter() -> None:
    assert normalize_email("Ana.Lopez@Example.com") == normalize_email(" ana.lopez@example.COM")
    assert normalize_email("ana@STRAẞE.de") == normalize_email("ana@xn--strae-oqa.de")
    assert normalize_email("ana@ΣΣ.gr") == normalize_email("ana@σσ.gr")
    # Only ASCII letters change case in the local part.
    assert normalize_email("ÁNA@example.com") != normalize_email("ána@example.com")


@pytest.mark.parametrize(("on_file", "typed"), LOOK_ALIKES)
async def test_a_look_alike_gets_no_code_for_the_customer(
    client: AsyncClient, db: Database, on_file: str, typed: str
) -> None:
    config = factories.configuration()
    await factories.seed(
        db, portal_configurations=[config], customers=[factories.customer(email=on_file)]
    )
    response = await ask_for_code(client, config["login_page"]["link_id"], typed)
    assert response.status_code == 303
    assert await last_mail(db) is None


async def test_the_code_goes_to_the_address_on_file(client: AsyncClient, db: Database) -> None:
    data = await factories.customer_with_plan(db, email="Ana.Lopez@Example.com")
    link = data["configuration"]["login_page"]["link_id"]
    await ask_for_code(client, link, "ana.lopez@example.COM")
    [mail] = await db.fetch_all(select(outbox_emails))
    on_file = await db.fetch_val(select(customers.c.email))
    assert mail["to_address"] == on_file == "Ana.Lopez@example.com"  # the loader's spelling
    assert (await enter_code(client, link, code_in(str(mail["body_text"])))).status_code == 303


def test_the_migration_recomputes_stored_forms(database_url: str) -> None:
    """0002 replaces the case-folded forms 0001 stored with the new ones."""
    rows: list[dict[str, Any]] = [
        {"id": "cus_merged", "email": "ana@straße.de", "email_normalized": "ana@strasse.de"},
        {
            "id": "cus_kelvin",
            "email": "\u212aim@example.com",
            "email_normalized": "kim@example.com",
        },
        {"id": "cus_plain", "email": "Ana@Example.com", "email_normalized": "ana@example.com"},
    ]

    async def run(work: Any) -> Any:
        db = Database(database_url)
        await db.connect()
        try:
            return await work(db)
        finally:
            await db.disconnect()

    async def insert(db: Database) -> None:
        await db.execute_many(
            customers.insert(),
            [
                {
                    **row,
                    "balance": 0,
                    "metadata": {},
                    "livemode": False,
                    "created": clock.timestamp(),
                }
                for row in rows
            ],
        )

    async def stored(db: Database) -> dict[str, str]:
        found = await db.fetch_all(select(customers.c.id, customers.c.email_normalized))
        return {row["id"]: row["email_normalized"] for row in found}

    migrations.downgrade(database_url, "0001")
    try:
        asyncio.run(run(insert))
    finally:
        migrations.upgrade(database_url)
    assert asyncio.run(run(stored)) == {
        "cus_merged": "ana@xn--strae-oqa.de",
        "cus_kelvin": "\u212aim@example.com",
        "cus_plain": "ana@example.com",
    }
