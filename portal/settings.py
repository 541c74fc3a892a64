"""Configuration, read from the environment and nowhere else."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, get_args

from portal import ROOT


class ConfigurationError(Exception):
    """The environment does not describe a usable deployment."""


PaymentProcessorName = Literal["test", "stripe"]
"""Who takes the payments: the built-in test processor (it moves no money) or Stripe."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    mail_from: str = "Billing <billing@localhost>"
    port: int = 8000
    debug: bool = False
    var_dir: Path = field(default=ROOT / "var")
    max_body_bytes: int = 1_000_000
    payment_processor: PaymentProcessorName = "test"
    forwarded_allow_ips: str = ""
    """Proxies whose X-Forwarded-For/-Proto `portal serve` believes; nobody by default."""
    base_url_set: bool = True
    """False when BASE_URL is unset: the URL then follows the port the server listens on."""
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    """Where the Stripe API is (Stripe's own by default; the tests' local server)."""
    webhooks_to_private_addresses: bool = False
    """Deliver webhooks to loopback and private addresses (a development receiver); off,
    an endpoint there is refused, so the API cannot be used to reach the internal network."""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def test_mode(self) -> bool:
        """No real money moves (the test processor, or Stripe with test keys): every page and
        mail must say so."""
        if self.payment_processor == "stripe":
            return (self.stripe_secret_key or "").startswith(("sk_test_", "rk_test_"))
        return True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        debug = _flag(env.get("DEBUG"))
        var_dir = Path(env.get("PORTAL_VAR_DIR") or ROOT / "var")
        port = int(env.get("PORT") or 8000)
        base_url = env.get("BASE_URL")
        if not base_url and not env.get("PORT"):
            # Commands such as `portal session create` print links to the server started on
            # this checkout, whatever port it listens on.
            base_url = _served_url(var_dir)
        base_url = base_url or f"http://127.0.0.1:{port}"
        database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'portal.sqlite3'}"
        return cls(
            database_url=database_url,
            secret_key=_secret_key(env.get("SECRET_KEY"), debug=debug, var_dir=var_dir),
            base_url=base_url.rstrip("/"),
            smtp_url=env.get("SMTP_URL") or None,
            mail_from=env.get("MAIL_FROM") or cls.mail_from,
            port=port,
            debug=debug,
            var_dir=var_dir,
            payment_processor=_payment_processor(env.get("PAYMENT_PROCESSOR"), env),
            forwarded_allow_ips=(env.get("FORWARDED_ALLOW_IPS") or "").strip(),
            base_url_set=bool(env.get("BASE_URL")),
            stripe_secret_key=env.get("STRIPE_SECRET_KEY") or None,
            stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
            stripe_api_base=env.get("STRIPE_API_BASE") or None,
            webhooks_to_private_addresses=_flag(env.get("WEBHOOKS_TO_PRIVATE_ADDRESSES")),
        )

    def serving_on(self, port: int) -> Settings:
        """The settings of a server listening on `port`: links lead to it unless BASE_URL
        says where the portal is."""
        if self.base_url_set:
            return replace(self, port=port)
        return replace(self, port=port, base_url=f"http://127.0.0.1:{port}")

    def record_served_url(self) -> None:
        """Let other commands on this checkout find the server (when BASE_URL is unset)."""
        if not self.base_url_set:
            self.var_dir.mkdir(parents=True, exist_ok=True)
            (self.var_dir / SERVED_URL_FILE).write_text(self.base_url + "\n")

    def forget_served_url(self) -> None:
        path = self.var_dir / SERVED_URL_FILE
        if not self.base_url_set and _served_url(self.var_dir) == self.base_url:
            path.unlink(missing_ok=True)


SERVED_URL_FILE = "served_url"


def _served_url(var_dir: Path) -> str | None:
    try:
        url = (var_dir / SERVED_URL_FILE).read_text().strip()
    except OSError:
        return None
    return url if url.startswith(("http://", "https://")) else None


def _payment_processor(value: str | None, env: Mapping[str, str]) -> PaymentProcessorName:
    name = (value or "test").strip().lower()
    if name == "test":
        return "test"
    if name == "stripe":
        for key in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
            if not env.get(key):
                raise ConfigurationError(f"PAYMENT_PROCESSOR=stripe needs {key} (see README).")
        return "stripe"
    choices = ", ".join(get_args(PaymentProcessorName))
    raise ConfigurationError(
        f"PAYMENT_PROCESSOR={value!r} is not a payment processor this portal knows. "
        f"Use one of: {choices}."
    )


def _secret_key(value: str | None, *, debug: bool, var_dir: Path) -> str:
    if value:
        if len(value) < 32:
            raise ConfigurationError("SECRET_KEY must be at least 32 characters long.")
        return value
    if not debug:
        raise ConfigurationError(
            "SECRET_KEY is not set. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    # In debug only: keep a generated key so sessions and codes survive restarts.
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
