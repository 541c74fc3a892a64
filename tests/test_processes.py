"""Two `portal serve` processes on one PostgreSQL database, as an operator scales out."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from portal.auth import codes
from portal.db import Database
from tests import factories
from tests.conftest import (
    SECRET,
    TEST_DATABASE_URL,
    SmtpServer,
    empty_postgresql,
    free_port,
    wait_for_server,
)

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="needs PostgreSQL: set TEST_DATABASE_URL"
)


def seed(url: str) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        db = Database(url)
        await db.connect()
        try:
            return await factories.customer_with_plan(db, email="noor@example.com")
        finally:
            await db.disconnect()

    return asyncio.run(run())


@pytest.fixture
def servers(postgresql_url: str, smtp_server: SmtpServer) -> Iterator[list[str]]:
    empty_postgresql(postgresql_url)
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": postgresql_url,
            "SECRET_KEY": SECRET,
            "SMTP_URL": smtp_server.url,
            "BASE_URL": f"http://127.0.0.1:{port}",
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "portal", "serve", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_for_server(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def token(client: httpx.Client, url: str) -> str:
    match = re.search(r'name="csrftoken" value="([^"]+)"', client.get(url).text)
    assert match
    return match.group(1)


def test_a_session_made_on_one_is_honoured_by_the_other(
    servers: list[str], postgresql_url: str, smtp_server: SmtpServer
) -> None:
    one, other = servers
    link = seed(postgresql_url)["configuration"]["login_page"]["link_id"]
    with httpx.Client() as client:
        csrf = token(client, f"{one}/p/login/{link}")
        sent = client.post(
            f"{one}/p/login/{link}", data={"csrftoken": csrf, "email": "noor@example.com"}
        )
        assert sent.status_code == 303
        for _ in range(100):
            if smtp_server.inbox.messages:
                break
            time.sleep(0.1)
        [message] = smtp_server.inbox.messages
        body = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
        code = re.search(r"^[ \t]+(\d{6})\s*$", body, re.M)
        assert code
        signed_in = client.post(
            f"{one}/p/login/{link}/code", data={"csrftoken": csrf, "code": code.group(1)}
        )
        assert signed_in.status_code == 303
        # Cookies are per host, not per port: the same browser, the other process.
        home = client.get(f"{other}/p/")
        assert home.status_code == 200
        assert "Team plan" in home.text
        csrf_other = token(client, f"{other}/p/")
        assert client.post(f"{other}/p/logout", data={"csrftoken": csrf_other}).status_code == 200
        assert client.get(f"{one}/p/").status_code == 401


def test_throttles_count_across_processes(servers: list[str], postgresql_url: str) -> None:
    link = seed(postgresql_url)["configuration"]["login_page"]["link_id"]
    limit, _ = codes.IP_REQUESTS
    statuses = []
    with httpx.Client() as client:
        csrf = token(client, f"{servers[0]}/p/login/{link}")
        for n in range(limit + 1):
            server = servers[n % 2]
            response = client.post(
                f"{server}/p/login/{link}", data={"csrftoken": csrf, "email": f"p{n}@example.com"}
            )
            statuses.append(response.status_code)
    assert statuses[:limit] == [303] * limit
    assert statuses[limit] == 429
