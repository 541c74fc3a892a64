"""`portal serve` and the other commands as an operator runs them: real processes."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from portal.auth import codes
from portal.db import Database
from portal.tables import outbox_emails, portal_sessions
from tests import factories
from tests.conftest import SECRET, free_port, wait_for_server


def run_db(url: str, work: Callable[[Database], Any]) -> Any:
    async def run() -> Any:
        db = Database(url)
        await db.connect()
        try:
            return await work(db)
        finally:
            await db.disconnect()

    return asyncio.run(run())


@pytest.fixture
def shop(database_url: str) -> dict[str, Any]:
    data: dict[str, Any] = run_db(
        database_url, lambda db: factories.customer_with_plan(db, email="noor@example.com")
    )
    return data


@pytest.fixture
def environment(database_url: str, tmp_path: Path) -> dict[str, str]:
    """Neither BASE_URL nor PORT: what a newcomer has."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
    }
    for name in ("BASE_URL", "PORT", "FORWARDED_ALLOW_IPS", "SMTP_URL", "DEBUG"):
        env.pop(name, None)
    return env


Serve = Callable[..., str]


@pytest.fixture
def serve(environment: dict[str, str]) -> Iterator[Serve]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(*args: str, **env: str) -> str:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "portal", "serve", "--port", str(port), *args],
            env={**environment, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_for_server(url)
        return url

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def portal(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )


def ask_with_forged_addresses(url: str, link: str) -> list[int]:
    limit, _ = codes.IP_REQUESTS
    with httpx.Client() as client:
        page = client.get(f"{url}/p/login/{link}").text
        csrf = re.search(r'name="csrftoken" value="([^"]+)"', page)
        assert csrf
        return [
            client.post(
                f"{url}/p/login/{link}",
                data={"csrftoken": csrf.group(1), "email": f"p{n}@example.com"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(limit + 1)
        ]


class TestProxyHeaders:
    def test_forged_client_addresses_do_not_escape_the_per_ip_limit(
        self, serve: Serve, shop: dict[str, Any]
    ) -> None:
        url = serve()
        statuses = ask_with_forged_addresses(url, shop["configuration"]["login_page"]["link_id"])
        assert statuses[-1] == 429

    def test_a_named_proxy_is_believed(self, serve: Serve, shop: dict[str, Any]) -> None:
        url = serve(FORWARDED_ALLOW_IPS="127.0.0.1")
        statuses = ask_with_forged_addresses(url, shop["configuration"]["login_page"]["link_id"])
        assert set(statuses) == {303}

    def test_the_option_names_a_proxy_too(self, serve: Serve, shop: dict[str, Any]) -> None:
        url = serve("--forwarded-allow-ips", "127.0.0.1")
        statuses = ask_with_forged_addresses(url, shop["configuration"]["login_page"]["link_id"])
        assert set(statuses) == {303}


class TestTheServersAddress:
    def test_links_in_mail_lead_to_the_port_served(
        self, serve: Serve, shop: dict[str, Any], database_url: str
    ) -> None:
        url = serve()  # --port without PORT or BASE_URL
        link = shop["configuration"]["login_page"]["link_id"]
        with httpx.Client() as client:
            page = client.get(f"{url}/p/login/{link}").text
            csrf = re.search(r'name="csrftoken" value="([^"]+)"', page)
            assert csrf
            client.post(
                f"{url}/p/login/{link}",
                data={"csrftoken": csrf.group(1), "email": "noor@example.com"},
            )
        mail = run_db(database_url, lambda db: db.fetch_one(select(outbox_emails)))
        assert f"{url}/p/login/{link}/magic/" in mail["body_text"]

    def test_session_create_prints_the_running_servers_address(
        self, serve: Serve, shop: dict[str, Any], environment: dict[str, str]
    ) -> None:
        url = serve()
        printed = portal(environment, "session", "create", shop["customer"]["id"])
        assert printed.stdout.startswith(f"{url}/p/session/")
        opened = httpx.get(printed.stdout.strip(), follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"] == "/p/"

    def test_a_stopped_server_is_forgotten(
        self, environment: dict[str, str], shop: dict[str, Any]
    ) -> None:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "portal", "serve", "--port", str(port)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        recorded = Path(environment["PORTAL_VAR_DIR"]) / "served_url"
        try:
            wait_for_server(f"http://127.0.0.1:{port}")
            assert recorded.read_text().strip() == f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)
        assert not recorded.exists()
        printed = portal(environment, "session", "create", shop["customer"]["id"])
        assert printed.stdout.startswith("http://127.0.0.1:8000/p/session/")


class TestCommands:
    def test_no_database_chatter(self, environment: dict[str, str], shop: dict[str, Any]) -> None:
        done = portal(environment, "session", "create", shop["customer"]["id"])
        assert "Connected to database" not in done.stderr + done.stdout
        assert done.stdout.count("\n") == 1

    def test_a_session_created_after_the_clock_moved_is_not_born_expired(
        self, environment: dict[str, str], shop: dict[str, Any], database_url: str, serve: Serve
    ) -> None:
        env = {**environment, "DEBUG": "1"}
        portal(env, "clock", "advance", "30d")
        url = serve(DEBUG="1")
        printed = portal(env, "session", "create", shop["customer"]["id"]).stdout.strip()
        created = run_db(database_url, lambda db: db.fetch_val(select(portal_sessions.c.created)))
        assert created >= time.time() + 30 * 86400 - 60
        assert printed.startswith(f"{url}/p/session/")
        opened = httpx.get(printed, follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"] == "/p/"
