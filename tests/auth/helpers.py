"""Driving the sign-in pages like a browser: CSRF tokens from forms, codes from the outbox."""

from __future__ import annotations

import re

from httpx import AsyncClient, Response
from sqlalchemy import select

from portal.db import Database
from portal.tables import outbox_emails
from tests.conftest import html

CODE = re.compile(r"^[ \t]+(\d{6}|\d{5} \d{5})\s*$", re.M)  # 6 digits, or 10 in two groups
MAGIC = re.compile(r"(http\S+/magic/\S+)")


async def csrf_token(client: AsyncClient, url: str) -> str:
    page = await client.get(url)
    field = html(page).css_first("input[name=csrftoken]")
    assert field is not None, f"no form on {url}"
    return str(field.attributes["value"])


async def post_form(client: AsyncClient, form_page: str, action: str, **fields: str) -> Response:
    token = await csrf_token(client, form_page)
    return await client.post(action, data={"csrftoken": token, **fields})


async def ask_for_code(client: AsyncClient, link: str, email: str) -> Response:
    return await post_form(client, f"/p/login/{link}", f"/p/login/{link}", email=email)


async def last_mail(db: Database) -> dict[str, object] | None:
    return await db.fetch_one(
        select(outbox_emails)
        .order_by(outbox_emails.c.created.desc(), outbox_emails.c.id.desc())
        .limit(1)
    )


async def code_mail(client: AsyncClient, db: Database, link: str, email: str) -> dict[str, object]:
    """Ask for a code and return the mail that carries it."""
    before = await _mail_ids(db)
    await ask_for_code(client, link, email)
    return await _new_mail(db, before)


async def resend(client: AsyncClient, db: Database, link: str) -> dict[str, object]:
    """ "Send a new code" on the code page; returns the new mail."""
    before = await _mail_ids(db)
    response = await post_form(client, f"/p/login/{link}/code", f"/p/login/{link}/resend")
    assert response.status_code == 303, response.text
    return await _new_mail(db, before)


async def _mail_ids(db: Database) -> set[object]:
    return {row["id"] for row in await db.fetch_all(select(outbox_emails.c.id))}


async def _new_mail(db: Database, before: set[object]) -> dict[str, object]:
    # Not the newest by time: with the clock stopped, several mails share a second.
    new = [row for row in await db.fetch_all(select(outbox_emails)) if row["id"] not in before]
    assert len(new) == 1, new
    return new[0]


async def mails_to(db: Database, address: str) -> list[dict[str, object]]:
    return await db.fetch_all(
        select(outbox_emails)
        .where(outbox_emails.c.to_address == address)
        .order_by(outbox_emails.c.created, outbox_emails.c.id)
    )


def code_in(body: str) -> str:
    match = CODE.search(body)
    assert match, body
    return match.group(1)


def magic_path(body: str) -> str:
    match = MAGIC.search(body)
    assert match, body
    return "/" + match.group(1).split("/", 3)[3]


async def enter_code(client: AsyncClient, link: str, code: str) -> Response:
    return await post_form(client, f"/p/login/{link}/code", f"/p/login/{link}/code", code=code)


async def sign_in(client: AsyncClient, db: Database, link: str, email: str) -> Response:
    """The whole flow; returns the home page."""
    assert (await ask_for_code(client, link, email)).status_code == 303
    mail = await last_mail(db)
    assert mail is not None
    response = await enter_code(client, link, code_in(str(mail["body_text"])))
    assert response.status_code == 303, response.text
    return await client.get(response.headers["location"])
