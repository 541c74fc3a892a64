"""A real server with the demo data, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.async_api import Browser, async_playwright

from tests.conftest import Inbox, SmtpServer, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_smtp() -> Iterator[SmtpServer]:
    """The SMTP server the live demo sends its mail to."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpServer(controller, inbox)
    controller.stop()


@pytest.fixture(scope="session")
def live_env(tmp_path_factory: pytest.TempPathFactory, live_smtp: SmtpServer) -> dict[str, str]:
    """The environment of the live demo; the `portal` command run with it reaches it too."""
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "PORT": str(port),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "PORTAL_VAR_DIR": str(tmp_path_factory.mktemp("live")),
        "SMTP_URL": live_smtp.url,
    }
    env.pop("DATABASE_URL", None)
    return env


def portal_command(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "portal", *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="session")
def live_server(live_env: dict[str, str]) -> Iterator[str]:
    """`portal demo` on a free port, as a newcomer runs it, mailing to `live_smtp`."""
    env = live_env
    port = int(env["PORT"])
    base_url = env["BASE_URL"]
    process = subprocess.Popen(
        [sys.executable, "-m", "portal", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base_url}/dev/", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the demo server did not start:\n{output}")
        time.sleep(0.2)
    yield base_url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> str:
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(
                "Chromium is required here (REQUIRE_BROWSER is set) but "
                "/usr/bin/chromium is missing: apt-get install chromium"
            )
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def demo_urls(live_server: str) -> dict[str, str]:
    """A customer preview and the login page, as listed on the demo's /dev/ page."""
    index = httpx.get(f"{live_server}/dev/").text
    overview = re.search(r'href="(/dev/customers/[^"]+)"', index)
    login = re.search(r'href="(/p/login/[^"]+)"', index)
    assert overview and login, "the demo lists no customers or no login page"
    return {
        "overview": live_server + overview.group(1),
        "login": live_server + login.group(1),
        "missing": live_server + "/p/login/does-not-exist",
    }


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()
