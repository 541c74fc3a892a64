"""Secure mode: login links only open with an email the merchant signed (README's example)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from httpx import AsyncClient

from portal import ROOT, clock
from portal.db import Database
from portal.merchant import queries as configurations
from tests import factories
from tests.auth.helpers import csrf_token, last_mail
from tests.conftest import html


def readme_example() -> Any:
    """The signing function exactly as the README shows it to merchants."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Secure mode", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "the README lost its secure-mode example"
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    return namespace["signed_login_url"]


@pytest.fixture
async def secure(db: Database) -> dict[str, Any]:
    data = await factories.customer_with_plan(db, email="zoe@example.com")
    config = data["configuration"]
    config["login_page"] = {**config["login_page"], "secure_mode": True}
    other = factories.configuration(is_default=False)
    other["login_page"] = {**other["login_page"], "secure_mode": True}
    await factories.seed(db, portal_configurations=[config, other])
    return {
        "link": config["login_page"]["link_id"],
        "id": config["id"],
        "secret": await configurations.secure_mode_secret(db, config["id"]),
        "other_id": other["id"],
        "other_secret": await configurations.secure_mode_secret(db, other["id"]),
    }


def signed(
    secure: dict[str, Any],
    email: str = "zoe@example.com",
    *,
    configuration_id: str | None = None,
    secret: str | None = None,
) -> str:
    url = readme_example()(
        f"http://portal.test/p/login/{secure['link']}",
        configuration_id or secure["id"],
        secret or secure["secret"],
        email,
    )
    return str(url).removeprefix("http://portal.test")


def tampered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return f"{parts.path}?{urlencode({**query, **changes})}"


class TestSecureMode:
    async def test_a_signed_link_fixes_the_email_and_leaves_the_url(
        self, client: AsyncClient, db: Database, secure: dict[str, Any]
    ) -> None:
        response = await client.get(signed(secure))
        assert response.status_code == 303
        assert response.headers["location"] == f"/p/login/{secure['link']}"
        page = await client.get(response.headers["location"])
        assert page.status_code == 200
        assert html(page).maybe("input#email") is None  # not editable
        assert "zoe@example.com" in html(page).css_first("main").text()
        token = await csrf_token(client, f"/p/login/{secure['link']}")
        # Whatever the form says, the signed email is the one used.
        sent = await client.post(
            f"/p/login/{secure['link']}", data={"csrftoken": token, "email": "mallory@example.com"}
        )
        assert sent.status_code == 303
        mail = await last_mail(db)
        assert mail is not None and mail["to_address"] == "zoe@example.com"

    @pytest.mark.parametrize("change", ["email", "timestamp", "signature", "unsigned"])
    async def test_tampering_is_refused(
        self, client: AsyncClient, secure: dict[str, Any], change: str
    ) -> None:
        url = signed(secure)
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        if change == "email":
            url = tampered(url, prefilled_email="mallory@example.com")
        elif change == "timestamp":
            url = tampered(url, timestamp=str(int(query["timestamp"]) + 1))
        elif change == "signature":
            last = "1" if query["signature"].endswith("0") else "0"
            url = tampered(url, signature=query["signature"][:-1] + last)
        else:
            url = f"/p/login/{secure['link']}?prefilled_email=zoe%40example.com"
        response = await client.get(url)
        assert response.status_code == 403
        assert html(response).maybe("form input#email") is None

    async def test_another_configurations_signature_is_refused(
        self, client: AsyncClient, secure: dict[str, Any]
    ) -> None:
        for configuration_id, secret in [
            (secure["other_id"], secure["other_secret"]),
            (secure["id"], secure["other_secret"]),
        ]:
            url = signed(secure, configuration_id=configuration_id, secret=secret)
            assert (await client.get(url)).status_code == 403

    async def test_signatures_expire_after_ten_minutes(
        self, client: AsyncClient, secure: dict[str, Any]
    ) -> None:
        url = signed(secure)
        clock.advance(10 * 60 + 1)
        assert (await client.get(url)).status_code == 403

    async def test_the_bare_link_and_a_bare_post_are_refused(
        self, client: AsyncClient, db: Database, secure: dict[str, Any]
    ) -> None:
        assert (await client.get(f"/p/login/{secure['link']}")).status_code == 403
        response = await client.post(
            f"/p/login/{secure['link']}", data={"email": "zoe@example.com"}
        )
        assert response.status_code == 403
        assert await last_mail(db) is None
