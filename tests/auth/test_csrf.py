"""Cross-site request forgery: tokens on every unsafe request, and the Origin check."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from portal.db import Database
from tests import factories
from tests.auth.helpers import csrf_token, last_mail
from tests.conftest import html


@pytest.fixture
async def link(db: Database) -> str:
    data = await factories.customer_with_plan(db, email="lea@example.com")
    return str(data["configuration"]["login_page"]["link_id"])


class TestCsrf:
    async def test_a_form_without_its_token_is_refused(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        await csrf_token(client, f"/p/login/{link}")  # the browser holds the CSRF cookie
        response = await client.post(
            f"/p/login/{link}", data={"email": "lea@example.com"}, headers={"accept-language": "de"}
        )
        assert response.status_code == 403
        assert html(response).css_first("html").attributes["lang"] == "de"
        assert await last_mail(db) is None

    async def test_a_wrong_token_is_refused(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        await csrf_token(client, f"/p/login/{link}")
        response = await client.post(
            f"/p/login/{link}", data={"email": "lea@example.com", "csrftoken": "forged"}
        )
        assert response.status_code == 403

    async def test_a_foreign_origin_is_refused_even_with_a_token(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        token = await csrf_token(client, f"/p/login/{link}")
        response = await client.post(
            f"/p/login/{link}",
            data={"email": "lea@example.com", "csrftoken": token},
            headers={"origin": "https://evil.example"},
        )
        assert response.status_code == 403
        assert await last_mail(db) is None

    async def test_htmx_sends_the_token_as_a_header(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        token = await csrf_token(client, f"/p/login/{link}")
        response = await client.post(
            f"/p/login/{link}",
            data={"email": "lea@example.com"},
            headers={"x-csrftoken": token, "hx-request": "true", "origin": "http://portal.test"},
        )
        assert response.status_code == 303

    async def test_refusals_are_htmx_alerts_for_htmx(self, client: AsyncClient, link: str) -> None:
        await csrf_token(client, f"/p/login/{link}")
        response = await client.post(
            f"/p/login/{link}", data={"email": "lea@example.com"}, headers={"hx-request": "true"}
        )
        assert response.status_code == 403
        assert response.headers["hx-retarget"] == "#alerts"
        assert "content-security-policy" in response.headers

    async def test_get_never_changes_state(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        response = await client.get(f"/p/login/{link}", params={"email": "lea@example.com"})
        assert response.status_code == 200
        assert await last_mail(db) is None


async def test_forms_carry_the_token(client: AsyncClient, link: str) -> None:
    page = html(await client.get(f"/p/login/{link}"))
    for form in page.css("form[method=post]"):
        assert form.css_first("input[name=csrftoken]") is not None
    assert page.maybe("body") is not None
    del page
