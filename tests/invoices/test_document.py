"""An invoice's PDF: its text, read back with pypdf, in each language; scoped to its
customer; never kept by a shared cache."""

from __future__ import annotations

import io
from typing import Any

import pytest
from httpx import AsyncClient
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from sqlalchemy import select, update

from portal import clock, i18n
from portal.billing import renewals
from portal.db import Database
from portal.invoices import document
from portal.payments.processor import TestProcessor
from portal.tables import customers, invoices
from tests.shop import DAY, Shop

NAMES = {
    "en": "Emily Carter",
    "fr": "Élodie Dupré",
    "de": "Jürgen Groß",
    "it": "Niccolò Ricci",
    "ja": "山田 太郎",
    "zh_Hans": "王小明",
    "es": "Sofía Muñoz",
}


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def flat(value: str) -> str:
    return " ".join(value.replace("\u00a0", " ").replace("\u202f", " ").split())


async def renewed(shop: Shop, db: Database, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A customer on 3 x Pro whose renewal invoice was just written, named `name` then."""
    data = await shop.customer(plan="pro_month", quantity=3)
    await db.execute(
        update(customers).where(customers.c.id == data["customer"]["id"]).values(name=name)
    )
    clock.advance(20 * DAY)
    await renewals.run_due(db, TestProcessor(db))
    await shop.sign_in_again(data)
    invoice = await db.fetch_one(
        select(invoices).where(
            invoices.c.customer_id == data["customer"]["id"],
            invoices.c.billing_reason == "subscription_cycle",
        )
    )
    assert invoice is not None
    return data, dict(invoice)


@pytest.mark.parametrize("locale", list(NAMES))
async def test_the_document_in_each_language(
    shop: Shop, client: AsyncClient, db: Database, locale: str
) -> None:
    _, invoice = await renewed(shop, db, NAMES[locale])
    response = await client.get(f"/p/invoices/{invoice['id']}/pdf", params={"locale": locale})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert (
        response.headers["content-disposition"] == f'attachment; filename="{invoice["number"]}.pdf"'
    )
    text = text_of(response.content)
    i18n.set_locale(locale)
    assert invoice["number"] in text
    assert NAMES[locale] in text
    for label in ("Invoice number", "Date of issue", "Total", "Amount due"):
        assert i18n.gettext(label) in text
        assert locale == "en" or i18n.gettext(label) != label or label == "Total"
    assert flat(i18n.money(9000, "eur")) in text  # 3 x 30.00, the line and the total
    assert "Pro" in text


@pytest.mark.parametrize(("locale", "font"), [("ja", "Noto-Sans-JP"), ("zh_Hans", "Noto-Sans-SC")])
async def test_japanese_and_chinese_are_drawn_with_their_own_fonts(
    shop: Shop, client: AsyncClient, db: Database, locale: str, font: str
) -> None:
    _, invoice = await renewed(shop, db, NAMES[locale])
    response = await client.get(f"/p/invoices/{invoice['id']}/pdf", params={"locale": locale})
    reader = PdfReader(io.BytesIO(response.content))
    fonts = set()
    for page in reader.pages:
        resources = page["/Resources"]
        assert isinstance(resources, DictionaryObject)
        faces = resources["/Font"].get_object()
        assert isinstance(faces, DictionaryObject)
        for reference in faces.values():
            fonts.add(str(reference.get_object()["/BaseFont"]))
    # Embedded subsets ("ABCDEF+Noto-Sans-JP"), so the glyphs are in the file itself.
    assert any(name.partition("+")[2].startswith(font) for name in fonts), fonts
    assert all(path.is_file() for path in document.font_files())


async def test_another_customers_document_is_not_found(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    _, invoice = await renewed(shop, db, "Emily Carter")
    await shop.customer()  # someone else signs in
    response = await client.get(f"/p/invoices/{invoice['id']}/pdf")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
