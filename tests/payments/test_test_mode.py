"""Test mode never passes for live: it is a setting, and every page, mail, payment
confirmation and start-up says so."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import uvicorn
from httpx import AsyncClient

from portal import cli, mail, worker
from portal.db import Database
from portal.payments.processor import TestProcessor, processor_for
from portal.settings import ConfigurationError, Settings
from tests import factories
from tests.auth.helpers import code_mail
from tests.conftest import html


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"SECRET_KEY": "s" * 40, "PORTAL_VAR_DIR": str(tmp_path), **values}


class TestSetting:
    def test_the_test_processor_is_the_default(self, tmp_path: Path) -> None:
        settings = Settings.from_env(env(tmp_path))
        assert settings.payment_processor == "test"
        assert settings.test_mode

    @pytest.mark.parametrize("value", ["test", " test ", "TEST"])
    def test_test_is_accepted(self, tmp_path: Path, value: str) -> None:
        assert Settings.from_env(env(tmp_path, PAYMENT_PROCESSOR=value)).test_mode

    @pytest.mark.parametrize("value", ["live", "tset", "none"])
    def test_unknown_processors_are_refused(self, tmp_path: Path, value: str) -> None:
        with pytest.raises(ConfigurationError, match=f"PAYMENT_PROCESSOR.*{value}.*test"):
            Settings.from_env(env(tmp_path, PAYMENT_PROCESSOR=value))

    def test_stripe_needs_its_keys(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="needs STRIPE_SECRET_KEY"):
            Settings.from_env(env(tmp_path, PAYMENT_PROCESSOR="stripe"))
        with pytest.raises(ConfigurationError, match="needs STRIPE_WEBHOOK_SECRET"):
            Settings.from_env(
                env(tmp_path, PAYMENT_PROCESSOR="stripe", STRIPE_SECRET_KEY="sk_test_1")
            )
        stripe = Settings.from_env(
            env(
                tmp_path,
                PAYMENT_PROCESSOR="stripe",
                STRIPE_SECRET_KEY="sk_live_1",
                STRIPE_WEBHOOK_SECRET="whsec_1",
            )
        )
        assert stripe.payment_processor == "stripe" and not stripe.test_mode

    def test_the_processor_follows_the_setting(self, settings: Settings, db: Database) -> None:
        assert isinstance(processor_for(settings, db), TestProcessor)


class TestPages:
    async def test_every_page_says_test_mode(self, client: AsyncClient, db: Database) -> None:
        data = await factories.customer_with_plan(db)
        link = data["configuration"]["login_page"]["link_id"]
        for path in (
            f"/p/login/{link}",
            f"/dev/customers/{data['customer']['id']}",
            "/p/",
            "/nowhere",
        ):
            page = html(await client.get(path))
            banner = page.css_first(".banner-test")
            assert banner is not None, path
            assert "Test mode" in banner.text()
            assert "no real payments" in banner.text().lower()
        french = html(await client.get(f"/p/login/{link}", params={"locale": "fr"}))
        assert "Mode test" in french.css_first(".banner-test").text()

    async def test_the_banner_comes_with_the_language_switch(
        self, client: AsyncClient, db: Database
    ) -> None:
        data = await factories.customer_with_plan(db)
        fragment = await client.get(
            f"/dev/customers/{data['customer']['id']}",
            params={"locale": "ja"},
            headers={"hx-request": "true", "hx-target": "page"},
        )
        assert html(fragment).maybe("#page .banner-test") is not None

    async def test_paid_invoices_say_no_money_was_taken(
        self, client: AsyncClient, db: Database
    ) -> None:
        data = await factories.customer_with_plan(db)
        cus = data["customer"]["id"]
        await factories.seed(
            db,
            invoices=[
                factories.invoice(cus, 500, status="open", amount_paid=0, status_transitions={})
            ],
        )
        rows = html(await client.get(f"/dev/customers/{cus}")).css("#invoices tbody tr")
        assert len(rows) == 3
        for row in rows:
            paid = row.css_first(".badge-invoice-paid") is not None
            note = row.css_first(".test-payment")
            assert (note is not None) is paid
            if note is not None:
                assert "no money was taken" in note.text()


class TestMail:
    @pytest.mark.parametrize("template", ["test", "login_code"])
    def test_every_mail_says_test_mode(self, template: str) -> None:
        context = {
            "business_name": "Tessellate",
            "button_color": "#000000",
            "button_text_color": "#ffffff",
            "code": "123456",
            "magic_link": "https://portal.test/p/login/x/magic/y",
            "minutes": 10,
        }
        parts = mail.render_email(template, "en", context, test_mode=True)
        assert "Test mode" in parts["body_text"].splitlines()[0]
        assert "no real payments" in parts["body_text"].lower()
        assert "Test mode" in html_text(parts["body_html"])
        german = mail.render_email(template, "de", context, test_mode=True)
        assert "Testmodus" in german["body_text"] and "Testmodus" in german["body_html"]

    async def test_the_sign_in_mail_says_test_mode(self, client: AsyncClient, db: Database) -> None:
        data = await factories.customer_with_plan(db, email="ana@example.com")
        sent = await code_mail(
            client, db, data["configuration"]["login_page"]["link_id"], "ana@example.com"
        )
        assert "Test mode" in str(sent["body_text"])
        assert "Test mode" in str(sent["body_html"])


def html_text(markup: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    body = LexborHTMLParser(markup).body
    assert body is not None
    return str(body.text())


class TestStartUp:
    @pytest.mark.parametrize("command", ["serve", "worker"])
    def test_serve_and_worker_warn_loudly(
        self,
        command: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        for name, value in env(tmp_path).items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("PAYMENT_PROCESSOR", raising=False)
        monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)

        async def no_rounds(*args: object, **kwargs: object) -> None:
            return None

        monkeypatch.setattr(worker, "run", no_rounds)
        monkeypatch.setattr(cli, "_with_db", lambda settings, work: work(None))
        caplog.set_level(logging.INFO)
        cli.main([command])
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings, caplog.text
        assert "test mode" in warnings[0].getMessage().lower()
        assert "no real payments" in warnings[0].getMessage().lower()
