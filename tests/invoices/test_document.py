"""An invoice's PDF: its text, read back with pypdf, in each language; scoped to its
customer; never kept by a shared cache."""

from __future__ import annotations

import io

import pytest
from httpx import AsyncClient
from pypdf import PdfReader
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


async def renewed(shop: Shop, db: Database, name: str) -> tuple[dict, dict]:
    """A customer on 3 × Pro whose renewal invoice was just written, named `name` then."""
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
    assert flat(i18n.money(9000, "eur")) in text  # 3 × 30.00, the line and the total
    assert "Pro" in text


async def test_japanese_and_chinese_are_drawn_with_real_glyphs(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    _, invoice = await renewed(shop, db, "山田 太郎")
    response = await client.get(f"/p/invoices/{invoice['id']}/pdf", params={"locale": "ja"})
    reader = PdfReader(io.BytesIO(response.content))
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        for font in [font.get_object()]
    }
    assert any("Noto-Sans-JP" in name for name in fonts), fonts
    assert all(path.is_file() for path in document.font_files())


async def test_another_customers_document_is_not_found(
    shop: Shop, client: AsyncClient, db: Database
) -> None:
    _, invoice = await renewed(shop, db, "Emily Carter")
    await shop.customer()  # someone else signs in
    response = await client.get(f"/p/invoices/{invoice['id']}/pdf")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
