"""Pages over HTTP: login page, debug overview, errors, htmx fragments, headers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from starlette.applications import Starlette
from starlette.requests import Request

from portal.db import Database
from portal.settings import Settings
from tests import factories
from tests.conftest import html, serving


class TestLoginPage:
    async def test_renders_the_configuration_branding(
        self, client: AsyncClient, db: Database
    ) -> None:
        data = await factories.customer_with_plan(db)
        link = data["configuration"]["login_page"]["link_id"]
        response = await client.get(f"/p/login/{link}")
        assert response.status_code == 200
        page = html(response)
        assert page.css_first(".brand-name").text() == "Tessellate"
        assert page.css_first(".brand-headline").text() == "Plans and billing"
        style = page.css_first("head style").text()
        assert "--brand-button: #7a1fa2" in style
        assert "--brand-radius: 999px" in style
        assert "Georgia" in style
        form = page.css_first("form")
        assert form.attributes["method"] == "post"
        assert page.css_first("input#email").attributes["type"] == "email"
        assert page.maybe("label[for=email]") is not None
        assert page.maybe('a[href="https://tessellate.example/terms"]') is not None

    @pytest.mark.parametrize(
        ("given", "shown"),
        [
            ("ana@example.com", "ana@example.com"),
            ("  Ana@Example.COM ", "Ana@example.com"),
            ("not-an-email", ""),
            ("<script>@x", ""),
            ("a" * 600 + "@example.com", ""),
        ],
    )
    async def test_prefilled_email_is_kept_or_silently_dropped(
        self, client: AsyncClient, db: Database, given: str, shown: str
    ) -> None:
        data = await factories.customer_with_plan(db)
        link = data["configuration"]["login_page"]["link_id"]
        response = await client.get(f"/p/login/{link}", params={"prefilled_email": given})
        assert response.status_code == 200
        field = html(response).css_first("input#email")
        assert field.attributes["value"] == shown
        assert "readonly" not in field.attributes

    async def test_unknown_link_is_a_clear_404(self, client: AsyncClient, db: Database) -> None:
        await factories.customer_with_plan(db)
        response = await client.get("/p/login/nope-nope", headers={"accept-language": "fr"})
        assert response.status_code == 404
        page = html(response)
        assert page.css_first("html").attributes["lang"] == "fr"
        assert page.css_first("h1").text() == "Ce lien de connexion ne fonctionne pas"
        # Branded with the default configuration even though the link is unknown.
        assert page.css_first(".brand-name").text() == "Tessellate"

    @pytest.mark.parametrize(
        "change",
        [
            {"active": False},
            {"login_page": {"enabled": False, "link_id": "closed-link"}},
        ],
    )
    async def test_inactive_link_is_a_404(
        self, client: AsyncClient, db: Database, change: dict[str, object]
    ) -> None:
        config = factories.configuration(**change)
        if "login_page" not in change:
            config["login_page"] = {"enabled": True, "link_id": "closed-link"}
        await factories.seed(db, portal_configurations=[config])
        response = await client.get("/p/login/closed-link")
        assert response.status_code == 404


class TestDebugOverview:
    async def test_shows_plan_card_and_invoices_in_the_locale(
        self, client: AsyncClient, db: Database
    ) -> None:
        data = await factories.customer_with_plan(db)
        before = db.query_count
        response = await client.get(
            f"/dev/customers/{data['customer']['id']}",
            headers={"accept-language": "de-DE,de;q=0.9"},
        )
        queries = db.query_count - before
        assert response.status_code == 200
        page = html(response)
        assert page.css_first("html").attributes["lang"] == "de"
        assert page.maybe(".banner-debug") is not None
        assert page.css_first("#subscriptions h3").text() == "Team plan"
        items = page.css_first("#subscriptions .items").text()
        assert "49,00\xa0€" in items
        assert "3" in items
        assert "4242" in page.css_first("#payment-method").text()
        rows = page.css("#invoices tbody tr")
        assert len(rows) == 2
        assert "147,00\xa0€" in rows[0].text()
        assert queries <= 6

    async def test_unknown_customer_is_a_404(self, client: AsyncClient, db: Database) -> None:
        await factories.customer_with_plan(db)
        response = await client.get("/dev/customers/cus_nobody")
        assert response.status_code == 404

    async def test_invoice_history_is_capped_newest_first(
        self, client: AsyncClient, db: Database
    ) -> None:
        data = await factories.customer_with_plan(db)
        cus = data["customer"]["id"]
        extra = [factories.invoice(cus, 100 * k, created=1_700_000_000 + k) for k in range(1, 13)]
        await factories.seed(db, invoices=extra)
        response = await client.get(f"/dev/customers/{cus}")
        assert len(html(response).css("#invoices tbody tr")) == 5

    async def test_debug_routes_do_not_exist_without_debug(self, settings: Settings) -> None:
        async with serving(settings, debug=False) as (_app, client):
            for path in ("/dev/", "/dev/mailbox", "/dev/customers/cus_x"):
                assert (await client.get(path)).status_code == 404


class TestHtmx:
    async def test_language_switch_returns_the_page_fragment(
        self, client: AsyncClient, db: Database
    ) -> None:
        data = await factories.customer_with_plan(db)
        url = f"/dev/customers/{data['customer']['id']}"
        response = await client.get(
            url, params={"locale": "ja"}, headers={"hx-request": "true", "hx-target": "page"}
        )
        assert response.status_code == 200
        assert response.headers["vary"] == "HX-Request"
        assert "<html" not in response.text
        page = html(response)
        fragment = page.css_first("#page")
        assert fragment.attributes["data-lang"] == "ja"
        assert page.maybe("title") is not None
        assert "portal_locale=ja" in response.headers["set-cookie"]

    async def test_the_switch_updates_the_title_and_the_address(
        self, client: AsyncClient, db: Database
    ) -> None:
        data = await factories.customer_with_plan(db)
        url = f"/dev/customers/{data['customer']['id']}"
        response = await client.get(
            url,
            params=[("a", "1"), ("b", "x y"), ("locale", "fr")],
            headers={"hx-request": "true", "hx-target": "page"},
        )
        # htmx 2 takes a <title> only at the root of a fragment, not inside #page.
        assert response.text.lstrip().startswith("<title>Facturation · Tessellate</title>")
        assert html(response).maybe("#page title") is None
        # The address bar then reloads the same page, in the new language.
        assert response.headers["hx-replace-url"] == "?a=1&b=x+y&locale=fr"
        assert "hx-replace-url" not in (await client.get(url)).headers
        # An error during the switch is an alert: the address stays.
        missing = await client.get(
            "/dev/customers/cus_nobody",
            params={"locale": "fr"},
            headers={"hx-request": "true", "hx-target": "page"},
        )
        assert missing.status_code == 404
        assert "hx-replace-url" not in missing.headers

    async def test_history_restore_gets_the_whole_page(
        self, client: AsyncClient, db: Database
    ) -> None:
        data = await factories.customer_with_plan(db)
        response = await client.get(
            f"/dev/customers/{data['customer']['id']}",
            headers={
                "hx-request": "true",
                "hx-target": "page",
                "hx-history-restore-request": "true",
            },
        )
        assert response.text.lstrip().startswith("<!doctype html>")

    async def test_switcher_links_work_without_javascript(
        self, client: AsyncClient, db: Database
    ) -> None:
        data = await factories.customer_with_plan(db)
        response = await client.get(f"/dev/customers/{data['customer']['id']}")
        links = html(response).css(".languages a")
        assert [a.attributes["data-locale"] for a in links] == [
            "en",
            "fr",
            "de",
            "it",
            "ja",
            "zh_Hans",
            "es",
        ]
        for link in links:
            assert link.attributes["href"] == link.attributes["hx-get"]
            assert str(link.attributes["href"]).startswith("?")
        italian = await client.get(
            f"/dev/customers/{data['customer']['id']}{links[3].attributes['href']}"
        )
        assert html(italian).css_first("html").attributes["lang"] == "it"
        # The choice is remembered for the next page.
        again = await client.get(f"/dev/customers/{data['customer']['id']}")
        assert html(again).css_first("html").attributes["lang"] == "it"

    async def test_errors_become_alerts_for_htmx(self, client: AsyncClient, db: Database) -> None:
        response = await client.get(
            "/dev/customers/cus_nobody",
            headers={"hx-request": "true", "hx-target": "subscriptions"},
        )
        assert response.status_code == 404
        assert response.headers["hx-retarget"] == "#alerts"
        assert html(response).maybe("[role=alert]") is not None


class TestHeaders:
    @pytest.mark.parametrize("path", ["/p/login/unknown", "/dev/", "/static/css/portal.css"])
    async def test_security_headers_on_every_response(self, client: AsyncClient, path: str) -> None:
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers  # plain HTTP here

    async def test_inline_style_carries_the_nonce(self, client: AsyncClient, db: Database) -> None:
        response = await client.get("/dev/")
        nonce = html(response).css_first("head style").attributes["nonce"]
        assert f"'nonce-{nonce}'" in response.headers["content-security-policy"]
        assert not html(response).css("script:not([src])")

    async def test_hsts_under_https(self, settings: Settings) -> None:
        async with serving(settings, base_url="https://portal.test") as (app, client):
            response = await client.get("/p/login/unknown")
        assert "max-age=" in response.headers["strict-transport-security"]
        assert "Secure" in (await _switch_cookie(app))

    async def test_server_error_is_a_branded_localized_page(
        self, app: Starlette, client: AsyncClient
    ) -> None:
        from starlette.routing import Route

        async def broken(request: object) -> None:
            raise RuntimeError("boom")

        app.router.routes.append(Route("/broken", broken))
        response = await client.get("/broken", headers={"accept-language": "es"})
        assert response.status_code == 500
        page = html(response)
        assert page.css_first("html").attributes["lang"] == "es"
        assert "boom" not in response.text
        assert "content-security-policy" in response.headers

    @pytest.mark.parametrize("chunked", [False, True])
    async def test_large_bodies_are_refused_before_parsing(
        self, app: Starlette, client: AsyncClient, chunked: bool
    ) -> None:
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route

        async def echo(request: Request) -> PlainTextResponse:
            form = await request.form()
            return PlainTextResponse(str(len(form)))

        app.router.routes.append(Route("/echo", echo, methods=["POST"]))
        body = b"a=" + b"x" * 2_000_000

        async def stream() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 65536):
                yield body[start : start + 65536]

        response = await client.post(
            "/echo",
            content=stream() if chunked else body,
            headers={"content-type": "application/x-www-form-urlencoded", "accept-language": "it"},
        )
        assert response.status_code == 413
        assert html(response).css_first("html").attributes["lang"] == "it"
        # The error page gave a CSRF cookie: a small body with its token goes through.
        small = await client.post(
            "/echo", data={"a": "1"}, headers={"x-csrftoken": client.cookies["csrftoken"]}
        )
        assert small.text == "1"


async def _switch_cookie(app: Starlette) -> str:
    import httpx

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://portal.test") as c:
            response = await c.get("/p/login/unknown?locale=fr")
    return response.headers["set-cookie"]


class TestWeight:
    async def test_static_files_are_compressed_and_pages_are_not(
        self, client: AsyncClient, db: Database
    ) -> None:
        gzip = {"accept-encoding": "gzip"}
        htmx = await client.get("/static/vendor/htmx/htmx.min.js", headers=gzip)
        css = await client.get("/static/css/portal.css", headers=gzip)
        page = await client.get("/dev/", headers=gzip)
        assert htmx.headers["content-encoding"] == "gzip"
        assert css.headers["content-encoding"] == "gzip"
        assert "content-encoding" not in page.headers
        # The first signed-in page stays within 40 KB compressed, all parts counted.
        weight = (
            int(htmx.headers["content-length"])
            + int(css.headers["content-length"])
            + len(page.content)
            + len((await client.get("/static/js/portal.js")).content)
        )
        assert weight < 40_000


class TestWording:
    async def test_a_visitor_who_never_signed_in_is_asked_to_sign_in(
        self, client: AsyncClient, db: Database
    ) -> None:
        await factories.customer_with_plan(db)
        response = await client.get("/p/")
        assert response.status_code == 401
        page = html(response)
        assert page.css_first("h1").text() == "Sign in to continue"
        assert "session" not in page.css_first("main").text().lower()
        assert page.css_first("main a.button").text() == "Sign in"

    async def test_an_ended_session_says_so(
        self, client: AsyncClient, db: Database, settings: Settings
    ) -> None:
        from portal.auth import sessions

        data = await factories.customer_with_plan(db)
        url = (await sessions.issue(db, settings, customer_id=data["customer"]["id"])).url
        await client.get(url.removeprefix(settings.base_url))
        assert (await client.get("/p/")).status_code == 200
        from portal import clock

        clock.advance(3 * 3600)
        response = await client.get("/p/")
        assert response.status_code == 401
        page = html(response)
        assert page.css_first("h1").text() == "Your session has ended"
        assert page.css_first("main a.button").text() == "Sign in again"
        # A cookie that names no session at all has ended too.
        client.cookies.set("portal_session", "made-up")
        assert html(await client.get("/p/")).css_first("h1").text() == "Your session has ended"

    @pytest.mark.parametrize("path", ["/p/", "/p/logout", "/p/session/gone", "/nothing"])
    async def test_error_pages_do_not_end_in_a_status_code(
        self, client: AsyncClient, db: Database, path: str
    ) -> None:
        await factories.customer_with_plan(db)
        response = await client.get(path)
        assert response.status_code >= 400
        text = html(response).css_first("main").text()
        assert f"Error {response.status_code}" not in text
        assert str(response.status_code) not in text

    async def test_no_possessive_is_built_from_the_business_name(
        self, client: AsyncClient, db: Database
    ) -> None:
        from tests.auth.helpers import code_mail, magic_path

        data = await factories.customer_with_plan(db, email="ana@example.com")
        link = data["configuration"]["login_page"]["link_id"]
        mail = await code_mail(client, db, link, "ana@example.com")
        page = await client.get(magic_path(str(mail["body_text"])))
        assert page.status_code == 200
        text = html(page).css_first("main").text()
        assert "Tessellate" in text
        assert "Tessellate's" not in text and "Tessellate’s" not in text
