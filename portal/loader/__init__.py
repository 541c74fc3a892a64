"""`portal load FILE.json`: import a business's catalog and customers in one transaction.

Loading is an upsert by id: the same file twice changes nothing, and a later file may update
objects or add to them. A bad file changes nothing and gets one error that names the object,
the field and the reason.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import ValidationError
from sqlalchemy import Table, delete, select, update

from portal import tables
from portal.billing import queries as billing_queries
from portal.db import Database
from portal.loader import rows
from portal.loader.schema import LoadFile
from portal.security import new_token

FIELD_PATH = re.compile(r"^[a-z_]+(\.[a-z_]+)*$")


class LoadError(Exception):
    """The file cannot be loaded; the message says where and why."""


def _position(data: Any, loc: tuple[int | str, ...]) -> str:
    """`customers[3] (cus_123), email` for a location in the document."""
    if not loc:
        return "the document"
    kind, rest = loc[0], loc[1:]
    where = str(kind)
    if rest and isinstance(rest[0], int):
        index, rest = rest[0], rest[1:]
        where = f"{kind}[{index}]"
        try:
            object_id = data[kind][index].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            object_id = None
        if object_id:
            where += f" ({object_id})"
    field = ""
    for part in rest:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return f"{where}, field {field}" if field else where


def parse(data: Any) -> LoadFile:
    if not isinstance(data, Mapping):
        raise LoadError(
            'The file must contain one JSON object with lists such as "products" and "customers".'
        )
    unknown = sorted(set(data) - set(LoadFile.model_fields))
    if unknown:
        raise LoadError(
            f"Unknown list {unknown[0]!r}; expected one of: "
            + ", ".join(LoadFile.model_fields)
            + "."
        )
    try:
        return LoadFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc, reason = tuple(first["loc"]), first["msg"].removeprefix("Value error, ")
        # Checks across fields say which field they are about: "subtotal: …".
        field, sep, rest = reason.partition(": ")
        if sep and FIELD_PATH.match(field):
            loc, reason = (*loc, *field.split(".")), rest
        others = exc.error_count() - 1
        more = f" (and {others} more after this one)" if others else ""
        raise LoadError(f"{_position(data, loc)}: {reason}{more}") from None


def read(path: Path) -> LoadFile:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise LoadError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError:
        raise LoadError(f"{path}: not UTF-8 text") from None
    return parse(data)


async def _existing(db: Database, table: Table, ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found |= {
            row["id"] for row in await db.fetch_all(select(table.c.id).where(table.c.id.in_(chunk)))
        }
    return found


async def _check_references(db: Database, file: LoadFile) -> None:
    """Every id an object refers to is in the file or already in the database."""
    in_file = {
        "products": {p.id for p in file.products},
        "prices": {p.id for p in file.prices},
        "coupons": {c.id for c in file.coupons},
        "customers": {c.id for c in file.customers},
        "payment_methods": {p.id for p in file.payment_methods},
        "subscriptions": {s.id for s in file.subscriptions},
    }
    refs = rows.references(file)
    for kind, wanted in refs.items():
        table = tables.metadata.tables[kind]
        missing = {ref for ref in wanted if ref not in in_file[kind]}
        missing -= await _existing(db, table, missing)
        if missing:
            ref = min(missing)
            raise LoadError(
                f"{wanted[ref]}: refers to {ref}, which is neither in the file nor in the database"
            )


def _check_unique(file: LoadFile) -> None:
    for kind in LoadFile.model_fields:
        seen = Counter(obj.id for obj in getattr(file, kind))
        duplicates = sorted(object_id for object_id, n in seen.items() if n > 1)
        if duplicates:
            raise LoadError(f"{kind}: the id {duplicates[0]} appears more than once")
    codes = Counter(code.code.casefold() for code in file.promotion_codes)
    for code, n in codes.items():
        if n > 1:
            raise LoadError(f"promotion_codes: the code {code!r} appears more than once")
    links = Counter(
        c.login_page.link_id for c in file.portal_configurations if c.login_page.link_id
    )
    for link, n in links.items():
        if n > 1:
            raise LoadError(
                f"portal_configurations: the login link id {link!r} appears more than once"
            )


async def _give_secure_mode_secrets(db: Database, file: LoadFile) -> None:
    """A configuration in secure mode gets a signing secret the first time; later loads keep
    it (`portal secure-mode-secret` shows it to the merchant)."""
    table = tables.portal_configurations
    for configuration in file.portal_configurations:
        if configuration.login_page.secure_mode:
            await db.execute(
                update(table)
                .where(table.c.id == configuration.id, table.c.secure_mode_secret.is_(None))
                .values(secure_mode_secret=new_token())
            )


NUMBER = re.compile(r"^(?P<prefix>[A-Za-z0-9]{1,16})-(?P<number>\d{1,9})$")


async def _continue_numbering(db: Database, file: LoadFile) -> None:
    """New invoices continue the business's numbering: the prefix already in use, else that
    of the newest imported invoice, after the highest number imported with it."""
    numbered = [(i.created, m) for i in file.invoices if i.number and (m := NUMBER.match(i.number))]
    if not numbered:
        return
    current = await billing_queries.numbering(db)
    prefix = current["prefix"] if current else max(numbered, key=lambda n: n[0])[1]["prefix"]
    highest = max((int(m["number"]) for _, m in numbered if m["prefix"] == prefix), default=0)
    next_number = max(highest + 1, current["next_number"] if current else 1)
    await billing_queries.set_numbering(db, prefix, next_number)


async def _keep_billing_details(db: Database, file: LoadFile) -> None:
    """Imported invoices print their customer's details as loaded (as if finalized now)."""
    finalized: dict[str, list[str]] = {}
    for invoice in file.invoices:
        if invoice.status != "draft":
            finalized.setdefault(invoice.customer, []).append(invoice.id)
    for customer_id, invoice_ids in finalized.items():
        await db.execute(
            update(tables.invoices)
            .where(
                tables.invoices.c.customer_id == customer_id,
                tables.invoices.c.id.in_(invoice_ids),
            )
            .values(**await billing_queries.billing_details(db, customer_id))
        )


async def load(db: Database, file: LoadFile) -> dict[str, int]:
    """Write the file's objects; returns how many of each kind were loaded."""
    _check_unique(file)
    try:
        async with db.transaction():
            await _check_references(db, file)
            for table, values in rows.table_rows(file):
                if values:
                    await db.execute_many(db.upsert(table, values[0]), values)
            # Items and lines belong to their parent: the file's list replaces the stored one.
            for child, parent_column, parent_ids, values in rows.child_rows(file):
                if parent_ids:
                    await db.execute(delete(child).where(parent_column.in_(parent_ids)))
                await db.execute_many(child.insert(), values)
            await _give_secure_mode_secrets(db, file)
            await _continue_numbering(db, file)
            await _keep_billing_details(db, file)
    except (sqlite3.IntegrityError, asyncpg.exceptions.IntegrityConstraintViolationError) as exc:
        # Unique values (promotion codes, login link ids) held by other rows already stored.
        raise LoadError(f"the database refused the file, nothing was loaded: {exc}") from None
    return {kind: len(getattr(file, kind)) for kind in LoadFile.model_fields if getattr(file, kind)}
