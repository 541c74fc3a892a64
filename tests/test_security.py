"""The request guard (origin, body size, CSRF token) and the headers on every refusal."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from httpx import AsyncClient, Response

from portal.db import Database
from portal.settings import Settings
from tests import factories
from tests.auth.helpers import csrf_token, last_mail
from tests.conftest import BASE_URL, html, serving

TEN_MB = 10 * 1024 * 1024
HEADERS = (
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "cross-origin-opener-policy",
    "permissions-policy",
)


def assert_security_headers(response: Response) -> None:
    missing = [name for name in HEADERS if name not in response.headers]
    assert not missing, f"{response.status_code} lacks {missing}"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records
    ]


@pytest.fixture
async def link(db: Database) -> str:
    data = await factories.customer_with_plan(db, email="lea@example.com")
    return str(data["configuration"]["login_page"]["link_id"])


def multipart(fields: dict[str, str], *, filler: int = 0) -> tuple[bytes, str]:
    """A multipart/form-data body; `filler` bytes of a file part after the fields."""
    boundary = "----portal-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    if filler:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + b"x" * filler
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class TestForms:
    async def test_a_multipart_form_with_its_token_works(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        token = await csrf_token(client, f"/p/login/{link}")
        body, content_type = multipart({"csrftoken": token, "email": "lea@example.com"})
        response = await client.post(
            f"/p/login/{link}", content=body, headers={"content-type": content_type}
        )
        assert response.status_code == 303
        assert await last_mail(db) is not None

    async def test_an_urlencoded_form_with_text_beyond_ascii_works(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        token = await csrf_token(client, f"/p/login/{link}")
        response = await client.post(
            f"/p/login/{link}",
            data={"csrftoken": token, "email": "lea@example.com", "note": "José Núñez ٣ 東京"},
        )
        assert response.status_code == 303
        assert await last_mail(db) is not None

    async def test_a_multipart_form_with_the_token_after_a_file_works(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        token = await csrf_token(client, f"/p/login/{link}")
        body, content_type = multipart({"email": "lea@example.com"}, filler=100)
        body = body.replace(
            b"--\r\n",
            b"\r\nContent-Disposition: form-data; "
            b'name="csrftoken"\r\n\r\n' + token.encode() + b"\r\n"
            b"------portal-test-boundary--\r\n",
        )
        response = await client.post(
            f"/p/login/{link}", content=body, headers={"content-type": content_type}
        )
        assert response.status_code == 303

    async def test_a_multipart_form_without_its_token_is_refused(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        await csrf_token(client, f"/p/login/{link}")
        body, content_type = multipart({"email": "lea@example.com"})
        response = await client.post(
            f"/p/login/{link}", content=body, headers={"content-type": content_type}
        )
        assert response.status_code == 403
        assert_security_headers(response)
        assert await last_mail(db) is None


class TestRefusals:
    @pytest.mark.parametrize(
        "case", ["no cookie", "bearer", "wrong token", "foreign origin", "unsigned cookie", "json"]
    )
    async def test_unsafe_requests_without_proof_are_refused(
        self, client: AsyncClient, db: Database, link: str, case: str
    ) -> None:
        token = await csrf_token(client, f"/p/login/{link}")
        data: dict[str, str] = {"email": "lea@example.com", "csrftoken": token}
        headers: dict[str, str] = {}
        kwargs: dict[str, Any] = {}
        if case == "no cookie":
            client.cookies.clear()
        elif case == "bearer":
            client.cookies.clear()
            headers["authorization"] = "Bearer sk_test_123"
            data.pop("csrftoken")
        elif case == "wrong token":
            data["csrftoken"] = token[:-2] + "xx"
        elif case == "foreign origin":
            headers["origin"] = "https://evil.example"
        elif case == "unsigned cookie":
            client.cookies.clear()
            client.cookies.set("csrftoken", "plain")
            data["csrftoken"] = "plain"
        elif case == "json":
            kwargs["json"] = data
        response = await client.post(
            f"/p/login/{link}", headers=headers, **(kwargs or {"data": data})
        )
        assert response.status_code == 403
        assert_security_headers(response)
        assert html(response).maybe("h1") is not None
        assert await last_mail(db) is None

    async def test_a_refusal_gives_a_cookie_that_works_after_a_reload(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        refused = await client.post(f"/p/login/{link}", data={"email": "lea@example.com"})
        assert refused.status_code == 403
        token = await csrf_token(client, f"/p/login/{link}")
        again = await client.post(
            f"/p/login/{link}", data={"email": "lea@example.com", "csrftoken": token}
        )
        assert again.status_code == 303

    async def test_the_token_cookie_is_host_only_and_httponly_under_https(
        self, settings: Settings
    ) -> None:
        async with serving(settings, base_url="https://portal.test") as (_app, client):
            response = await client.get("/p/login/unknown")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-csrftoken=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie


class TestBodySize:
    @pytest.mark.parametrize("kind", ["multipart", "urlencoded"])
    @pytest.mark.parametrize("chunked", [False, True])
    async def test_ten_megabytes_are_refused_before_parsing(
        self,
        client: AsyncClient,
        db: Database,
        link: str,
        caplog: pytest.LogCaptureFixture,
        kind: str,
        chunked: bool,
    ) -> None:
        token = await csrf_token(client, f"/p/login/{link}")
        if kind == "multipart":
            body, content_type = multipart(
                {"csrftoken": token, "email": "lea@example.com"}, filler=TEN_MB
            )
        else:
            body = f"csrftoken={token}&email=lea%40example.com&x=".encode() + b"x" * TEN_MB
            content_type = "application/x-www-form-urlencoded"

        async def stream() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 1 << 20):
                yield body[start : start + (1 << 20)]

        caplog.set_level(logging.INFO)
        response = await client.post(
            f"/p/login/{link}",
            content=stream() if chunked else body,
            headers={"content-type": content_type, "accept-language": "it"},
        )
        assert response.status_code == 413
        assert_security_headers(response)
        assert html(response).css_first("html").attributes["lang"] == "it"
        assert_no_traceback(caplog)
        assert await last_mail(db) is None

    async def test_a_body_within_the_cap_still_works(
        self, client: AsyncClient, db: Database, link: str
    ) -> None:
        token = await csrf_token(client, f"/p/login/{link}")
        response = await client.post(
            f"/p/login/{link}",
            data={"csrftoken": token, "email": "lea@example.com", "padding": "x" * 500_000},
        )
        assert response.status_code == 303


class TestEveryRefusalCarriesTheHeaders:
    async def test_each_status(
        self,
        client: AsyncClient,
        db: Database,
        link: str,
        settings: Settings,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        from starlette.routing import Route

        from portal.errors import TooManyAttempts

        async def broken(request: object) -> None:
            raise RuntimeError("boom")

        async def throttled(request: object) -> None:
            raise TooManyAttempts()

        app = client._transport.app  # type: ignore[attr-defined]
        app.router.routes.append(Route("/broken", broken))
        app.router.routes.append(Route("/throttled", throttled))
        responses = {
            401: await client.get("/p/"),
            403: await client.post(f"/p/login/{link}", data={"email": "lea@example.com"}),
            404: await client.get("/p/nothing-here"),
            405: await client.get("/p/logout"),
            410: await client.get("/p/session/no-such-token"),
            413: await client.post(
                f"/p/login/{link}",
                content=b"x" * TEN_MB,
                headers={"content-type": "application/octet-stream"},
            ),
            429: await client.get("/throttled"),
            500: await client.get("/broken"),
        }
        for status, response in responses.items():
            assert response.status_code == status, (status, response.text[:300])
            assert_security_headers(response)
            assert response.headers["cache-control"] == "no-store"
            assert "boom" not in response.text


def browser_join(base: str, reference: str) -> str:
    """A reference resolved as browsers do for http(s): tabs and newlines dropped, leading and
    trailing spaces trimmed, backslashes read as slashes."""
    reference = (
        reference.replace("\t", "")
        .replace("\n", "")
        .replace("\r", "")
        .strip("".join(map(chr, range(33))))
    )
    return urljoin(base.replace("\\", "/"), reference.replace("\\", "/"))


TRICKS = [
    "//evil.example/x",
    "/\\evil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example/x",
    "///evil.example",
    "/%5C%5Cevil.example",
    "/\\/evil.example/",
    "/%09/evil.example",
    "/p/login/%2F%2Fevil.example",
    "//evil.example/x?locale=fr&next=//evil.example",
    "/p/",
    "/p/logout",
    "/p/session/expired",
    "/p/subscriptions/sub_x/update",
]


class TestLinksStayOnSite:
    @pytest.mark.parametrize("path", TRICKS)
    @pytest.mark.parametrize("htmx", [False, True])
    async def test_no_link_or_form_on_an_error_page_leaves_the_site(
        self, client: AsyncClient, db: Database, path: str, htmx: bool
    ) -> None:
        data = await factories.customer_with_plan(db)
        profile = data["configuration"]["business_profile"]
        merchant = {profile["terms_of_service_url"], profile["privacy_policy_url"]}
        url = BASE_URL + path
        headers = {"hx-request": "true", "hx-target": "page"} if htmx else {}
        response = await client.get(url, headers=headers)
        assert response.status_code >= 400, path
        page = html(response)
        references = [
            (node.tag, attribute, node.attributes[attribute])
            for selector, attribute in (
                ("a[href]", "href"),
                ("form[action]", "action"),
                ("[hx-get]", "hx-get"),
                ("[hx-post]", "hx-post"),
                ("link[href]", "href"),
                ("script[src]", "src"),
                ("img[src]", "src"),
            )
            for node in page.css(selector)
        ]
        if not htmx:  # htmx gets an alert alone
            assert any(tag == "a" for tag, _, _ in references)
        for tag, attribute, value in references:
            assert value is not None
            target = browser_join(url, value)
            if value in merchant:
                continue  # the business's own pages, from its configuration
            assert urlsplit(target).netloc == "portal.test", (tag, attribute, value, target)
            assert urlsplit(target).path.startswith("/"), target
        for header in ("location", "hx-redirect", "hx-location", "hx-replace-url", "hx-push-url"):
            if header in response.headers:
                target = browser_join(url, response.headers[header])
                assert urlsplit(target).netloc == "portal.test", (header, target)
