"""The `portal` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn

from portal import clock, mail, migrations, test_clock, worker
from portal.api import keys as api_keys
from portal.auth import sessions
from portal.db import Database
from portal.loader import LoadError, load, parse, read
from portal.merchant import queries as configurations
from portal.payments.processor import warn_if_test_mode
from portal.settings import ConfigurationError, Settings
from portal.webhooks import queries as webhook_queries

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "demo.json"
DEMO_ANCHOR = 1793491200  # 2026-11-01T00:00:00Z: the day the demo's dates are written for
DEMO_TIME_FIELDS = {
    "created",
    "updated",
    "current_period_start",
    "current_period_end",
    "cancel_at",
    "canceled_at",
    "ended_at",
    "trial_start",
    "trial_end",
    "resumes_at",
    "period_start",
    "period_end",
    "due_date",
    "paid_at",
    "start",
    "end",
    "expires_at",
    "redeem_by",
}


async def _with_db(settings: Settings, work: Callable[[Database], Awaitable[Any]]) -> Any:
    db = Database(settings.database_url)
    await db.connect()
    try:
        return await work(db)
    finally:
        await db.disconnect()


log = logging.getLogger("portal")

SECRET_PATH = re.compile(r"(/magic/|/p/session/)[^/?]+")


def redact(path: str) -> str:
    """Access logs keep the path, never a query string (emails) or a one-time token."""
    return SECRET_PATH.sub(r"\1…", path.split("?", 1)[0])


class RedactAccessLog(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, redact(str(path)), version, status)
        return True


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    from portal.app import create_app  # the web stack, for this command only

    settings = settings.serving_on(args.port or settings.port)
    # Nobody is trusted unless named: otherwise anyone could pick the client address the
    # per-IP limits count (X-Forwarded-For) by sending it through a local proxy.
    trusted = (
        settings.forwarded_allow_ips
        if args.forwarded_allow_ips is None
        else args.forwarded_allow_ips.strip()
    )
    warn_if_test_mode(settings, log)
    logging.getLogger("uvicorn.access").addFilter(RedactAccessLog())
    # uvicorn shuts down gracefully on SIGTERM, then raises it again: as an exception rather
    # than the default handler's instant exit, it lets the `finally` below run.
    signal.signal(signal.SIGTERM, _terminated)
    settings.record_served_url()
    try:
        uvicorn.run(
            create_app(settings),
            host=args.host,
            port=settings.port,
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted,
            log_level="info",
        )
    finally:
        settings.forget_served_url()


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    migrations.upgrade(settings.database_url)
    print("Database is up to date.")


def cmd_load(settings: Settings, args: argparse.Namespace) -> None:
    file = read(Path(args.file))
    counts = asyncio.run(_with_db(settings, lambda db: load(db, file)))
    print("Loaded " + ", ".join(f"{n} {kind}" for kind, n in counts.items()) + ".")


def shift_times(value: Any, delta: int) -> Any:
    """The demo file with every timestamp moved by `delta` seconds, and card expiry dates by
    as many months (a card that was valid, or expired, on the anchor day still is)."""
    if isinstance(value, dict) and {"exp_month", "exp_year"} <= value.keys():
        months = value["exp_year"] * 12 + value["exp_month"] - 1 + round(delta / (30.44 * 86400))
        return {**value, "exp_year": months // 12, "exp_month": months % 12 + 1}
    if isinstance(value, dict):
        return {
            key: (
                item + delta
                if key in DEMO_TIME_FIELDS and isinstance(item, int)
                else shift_times(item, delta)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [shift_times(item, delta) for item in value]
    return value


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    if not settings.debug:
        raise ConfigurationError("The demo runs in debug mode: set DEBUG=1 (make demo does).")
    migrations.upgrade(settings.database_url)
    # The demo's dates are written for DEMO_ANCHOR; move them to today, to the day.
    delta = (clock.timestamp() - DEMO_ANCHOR) // 86400 * 86400
    file = parse(shift_times(json.loads(DEMO_FILE.read_text(encoding="utf-8")), delta))
    asyncio.run(_with_db(settings, lambda db: load(db, file)))
    configuration = asyncio.run(_with_db(settings, configurations.default))
    base = settings.serving_on(args.port or settings.port).base_url
    print(
        f"""
  Billing portal demo
  -------------------
  Login link:         {base}/p/login/{configuration.login_link_id}
  Demo mailbox:       {base}/dev/mailbox   (mail is kept there, not sent, while SMTP_URL is unset)
  Customer previews:  {base}/dev/
  Billing clock:      DEBUG=1 .venv/bin/portal worker   (renewals; in another terminal)
                      DEBUG=1 .venv/bin/portal clock advance 30d   (a month later)
""",
        flush=True,
    )
    if not args.no_serve:
        cmd_serve(settings, args)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    warn_if_test_mode(settings, log)
    asyncio.run(_with_db(settings, lambda db: worker.run(db, settings, interval=args.interval)))


def cmd_clock_advance(settings: Settings, args: argparse.Namespace) -> None:
    if not settings.debug:
        raise ConfigurationError("The clock only moves in test mode: set DEBUG=1.")
    seconds = test_clock.parse_duration(args.duration)
    offset = asyncio.run(_with_db(settings, lambda db: test_clock.advance(db, seconds)))
    print(
        f"The portal's clock is now {offset // 86400} days, {offset % 86400 // 3600} hours "
        f"ahead: {clock.now():%Y-%m-%d %H:%M} UTC. Workers renew what fell due."
    )


def cmd_mail_test(settings: Settings, args: argparse.Namespace) -> None:
    async def run(db: Database) -> int:
        configuration = await configurations.default(db)
        name = configuration.business_name if configuration else ""
        await mail.queue(
            db,
            to=args.address,
            template="test",
            locale=args.locale,
            context={"business_name": name},
            test_mode=settings.test_mode,
        )
        return await mail.send_due(db, settings)

    sent = asyncio.run(_with_db(settings, run))
    if not settings.smtp_url:
        print("SMTP_URL is not set: the message is in the outbox (see /dev/mailbox in debug).")
    elif sent:
        print(f"Sent a test message to {args.address}.")
    else:
        raise ConfigurationError(
            "The message could not be sent now; it stays in the outbox "
            "and will be retried. Check SMTP_URL and the log above."
        )


def cmd_session_create(settings: Settings, args: argparse.Namespace) -> None:
    async def run(db: Database) -> str:
        if settings.debug:
            # As the server does: after `portal clock advance` a session made now is not born
            # expired.
            await test_clock.sync(db)
        return (
            await sessions.issue(
                db,
                settings,
                customer_id=args.customer_id,
                configuration_id=args.configuration,
                return_url=args.return_url,
                locale=args.locale,
            )
        ).url

    print(asyncio.run(_with_db(settings, run)))


def cmd_api_key_create(settings: Settings, args: argparse.Namespace) -> None:
    async def run(db: Database) -> str:
        _, secret = await api_keys.create(db, settings, livemode=args.live)
        return secret

    secret = asyncio.run(_with_db(settings, run))
    print(secret)
    print(
        "Keep it now: it is shown once. Revoke it with `portal api-key revoke ID`.", file=sys.stderr
    )


def cmd_api_key_list(settings: Settings, args: argparse.Namespace) -> None:
    for row in asyncio.run(_with_db(settings, api_keys.listing)):
        state = "revoked" if row["revoked_at"] else "active"
        mode = "live" if row["livemode"] else "test"
        print(f"{row['id']}  {row['shown']}…  {mode}  {state}")


def cmd_api_key_revoke(settings: Settings, args: argparse.Namespace) -> None:
    if not asyncio.run(_with_db(settings, lambda db: api_keys.revoke(db, args.key_id))):
        raise ConfigurationError(f"No active API key {args.key_id}.")
    print(f"Revoked {args.key_id}.")


WHEN = "%Y-%m-%d %H:%M:%S UTC"


def cmd_webhooks_list(settings: Settings, args: argparse.Namespace) -> None:
    """The latest deliveries, newest first: where, what, how it went, each attempt."""

    async def run(db: Database) -> list[tuple[Any, list[Any]]]:
        found = await webhook_queries.recent_deliveries(db, args.limit)
        attempts = await webhook_queries.attempts_of(db, [d["id"] for d in found])
        return [(d, [a for a in attempts if a["delivery_id"] == d["id"]]) for d in found]

    for delivery, attempts in asyncio.run(_with_db(settings, run)):
        if delivery["delivered_at"]:
            state = "delivered"
        elif delivery["gave_up_at"]:
            state = "gave up"
        else:
            state = f"next attempt at {clock.to_datetime(delivery['next_attempt_at']):{WHEN}}"
        print(f"{delivery['id']}  {delivery['type']}  {delivery['url']}  {state}")
        for attempt in attempts:
            answer = attempt["response_status"] or attempt["error"]
            when = clock.to_datetime(attempt["attempted_at"])
            print(f"    {when:{WHEN}}  {answer}  {attempt['duration_ms']} ms")


def cmd_webhooks_retry(settings: Settings, args: argparse.Namespace) -> None:
    async def run(db: Database) -> bool:
        return await webhook_queries.retry(db, args.delivery_id, clock.timestamp())

    if not asyncio.run(_with_db(settings, run)):
        raise ConfigurationError(f"No webhook delivery {args.delivery_id}.")
    print(f"{args.delivery_id} will be sent again by the next worker round.")


def cmd_secure_mode_secret(settings: Settings, args: argparse.Namespace) -> None:
    async def run(db: Database) -> str | None:
        return await configurations.secure_mode_secret(
            db, args.configuration_id, rotate=args.rotate
        )

    secret = asyncio.run(_with_db(settings, run))
    if secret is None:
        raise ConfigurationError(f"No configuration {args.configuration_id} in secure mode.")
    print(secret)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="portal", description="Customer billing portal.")
    sub = root.add_subparsers(dest="command", required=True)

    def serving(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1", help="address to listen on")
        p.add_argument("--port", type=int, help="port to listen on (default: $PORT or 8000)")
        p.add_argument(
            "--forwarded-allow-ips",
            default=None,
            help="comma-separated addresses of proxies trusted for X-Forwarded-* "
            "headers (default: $FORWARDED_ALLOW_IPS, or nobody)",
        )

    p = sub.add_parser("serve", help="serve the portal over HTTP")
    serving(p)
    p.set_defaults(run=cmd_serve)
    p = sub.add_parser("migrate", help="bring the database schema up to date")
    p.set_defaults(run=cmd_migrate)
    p = sub.add_parser("load", help="import products, customers, … from a JSON file")
    p.add_argument("file", help="a JSON file in the load format (see README)")
    p.set_defaults(run=cmd_load)
    p = sub.add_parser("demo", help="migrate, load the demo data and serve (needs DEBUG=1)")
    serving(p)
    p.add_argument("--no-serve", action="store_true", help="prepare the demo and exit")
    p.set_defaults(run=cmd_demo)
    p = sub.add_parser("clock", help="test mode: move the portal's clock forward")
    clock_commands = p.add_subparsers(dest="clock_command", required=True)
    p = clock_commands.add_parser("advance", help="e.g. `portal clock advance 30d`")
    p.add_argument("duration", help="90s, 45m, 12h, 30d or seconds")
    p.set_defaults(run=cmd_clock_advance)
    p = sub.add_parser("worker", help="run the billing clock and send queued mail")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between rounds")
    p.set_defaults(run=cmd_worker)
    p = sub.add_parser("session", help="portal sessions for a customer")
    session = p.add_subparsers(dest="session_command", required=True)
    p = session.add_parser("create", help="print a one-time URL that opens the customer's portal")
    p.add_argument("customer_id")
    p.add_argument("--return-url", help="where the 'Return to' link leads")
    p.add_argument("--locale", help="the portal's language (en, fr, …, or auto)")
    p.add_argument("--configuration", help="portal configuration id (default: the default one)")
    p.set_defaults(run=cmd_session_create)
    p = sub.add_parser("webhooks", help="deliveries of events to webhook endpoints")
    webhooks = p.add_subparsers(dest="webhooks_command", required=True)
    p = webhooks.add_parser("list", help="the latest deliveries and their attempts")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(run=cmd_webhooks_list)
    p = webhooks.add_parser("retry", help="send a delivery again at the next worker round")
    p.add_argument("delivery_id")
    p.set_defaults(run=cmd_webhooks_retry)
    p = sub.add_parser("api-key", help="secret keys for the /v1 API")
    api_key = p.add_subparsers(dest="api_key_command", required=True)
    p = api_key.add_parser("create", help="print a new secret key (shown once)")
    p.add_argument("--live", action="store_true", help="a live-mode key (default: test mode)")
    p.set_defaults(run=cmd_api_key_create)
    p = api_key.add_parser("list", help="the keys, without their secrets")
    p.set_defaults(run=cmd_api_key_list)
    p = api_key.add_parser("revoke", help="stop a key from working")
    p.add_argument("key_id")
    p.set_defaults(run=cmd_api_key_revoke)
    p = sub.add_parser(
        "secure-mode-secret", help="print the secret a configuration's login links are signed with"
    )
    p.add_argument("configuration_id")
    p.add_argument("--rotate", action="store_true", help="replace it with a new one first")
    p.set_defaults(run=cmd_secure_mode_secret)
    p = sub.add_parser("mail-test", help="send a test message to check the SMTP settings")
    p.add_argument("address")
    p.add_argument("--locale", default="en")
    p.set_defaults(run=cmd_mail_test)
    return root


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # WeasyPrint logs a line per step of every document, from its import on.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    try:
        args.run(Settings.from_env(), args)
    except (ConfigurationError, LoadError, sessions.SessionRequestError) as exc:
        print(f"portal: {exc}", file=sys.stderr)
        sys.exit(2)
