"""Configuration comes only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.settings import ConfigurationError, Settings


def test_missing_secret_is_refused_outside_debug(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        Settings.from_env({"PORTAL_VAR_DIR": str(tmp_path)})


def test_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="at least 32"):
        Settings.from_env({"SECRET_KEY": "short", "PORTAL_VAR_DIR": str(tmp_path)})


def test_debug_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    env = {"DEBUG": "1", "PORTAL_VAR_DIR": str(tmp_path)}
    first = Settings.from_env(env)
    assert len(first.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert Settings.from_env(env).secret_key == first.secret_key


def test_values_and_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "SECRET_KEY": "s" * 40,
            "PORT": "9001",
            "BASE_URL": "https://billing.example.com/",
            "SMTP_URL": "smtp://mail:2525",
            "MAIL_FROM": "Acme <billing@acme.example>",
            "PORTAL_VAR_DIR": str(tmp_path),
        }
    )
    assert settings.port == 9001
    assert settings.base_url == "https://billing.example.com"
    assert settings.https
    assert settings.database_url == f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    assert settings.smtp_url == "smtp://mail:2525"
    assert not settings.debug
    local = Settings.from_env(
        {"SECRET_KEY": "s" * 40, "PORT": "9001", "PORTAL_VAR_DIR": str(tmp_path)}
    )
    assert local.base_url == "http://127.0.0.1:9001"


def test_access_logs_keep_no_query_strings_or_tokens() -> None:
    from portal.cli import redact

    assert redact("/p/login/demo?prefilled_email=a%40b.c&signature=ff") == "/p/login/demo"
    assert redact("/p/login/demo/magic/SECRET-token") == "/p/login/demo/magic/…"
    assert redact("/p/session/SECRET?x=1") == "/p/session/…"
    assert redact("/p/") == "/p/"


def test_commands_find_the_server_started_here(tmp_path: Path) -> None:
    """`portal serve` records its address when BASE_URL is unset; other commands use it
    unless BASE_URL or PORT say otherwise."""
    env = {"SECRET_KEY": "s" * 40, "PORTAL_VAR_DIR": str(tmp_path)}
    served = Settings.from_env(env).serving_on(9000)
    assert (served.port, served.base_url) == (9000, "http://127.0.0.1:9000")
    served.record_served_url()
    assert Settings.from_env(env).base_url == "http://127.0.0.1:9000"
    assert Settings.from_env({**env, "PORT": "8100"}).base_url == "http://127.0.0.1:8100"
    explicit = Settings.from_env({**env, "BASE_URL": "https://billing.example.com"})
    assert explicit.base_url == "https://billing.example.com"
    assert explicit.serving_on(9100).base_url == "https://billing.example.com"
    served.forget_served_url()
    assert Settings.from_env(env).base_url == "http://127.0.0.1:8000"


def test_no_proxy_is_trusted_unless_named(tmp_path: Path) -> None:
    env = {"SECRET_KEY": "s" * 40, "PORTAL_VAR_DIR": str(tmp_path)}
    assert Settings.from_env(env).forwarded_allow_ips == ""
    named = Settings.from_env({**env, "FORWARDED_ALLOW_IPS": "10.0.0.2, 10.0.0.3"})
    assert named.forwarded_allow_ips == "10.0.0.2, 10.0.0.3"
