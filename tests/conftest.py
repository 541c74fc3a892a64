"""Fixtures: real databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set), the real
app over HTTP, a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette

from portal import clock, migrations
from portal.app import create_app
from portal.db import Database
from portal.settings import Settings
from portal.tables import metadata
from tests.shop import Shop

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]
SECRET = "test-secret-key-that-is-long-enough-0123456789"
BASE_URL = "http://portal.test"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "portal.sqlite3"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgresql_url() -> str:
    assert TEST_DATABASE_URL
    reset_postgresql(TEST_DATABASE_URL)
    migrations.upgrade(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


def reset_postgresql(url: str) -> None:
    async def drop() -> None:
        engine = create_async_engine(migrations.sqlalchemy_url(url))
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(drop())


def empty_postgresql(url: str) -> None:
    async def truncate() -> None:
        db = Database(url)
        await db.connect()
        names = ", ".join(table.name for table in metadata.sorted_tables)
        await db.execute(f"TRUNCATE {names} CASCADE")
        await db.disconnect()

    asyncio.run(truncate())


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgresql_url")
    empty_postgresql(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET,
        base_url=BASE_URL,
        debug=True,
        var_dir=tmp_path / "var",
    )


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@contextlib.asynccontextmanager
async def serving(
    settings: Settings, **changes: Any
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """The app running with these settings changed, and a client for it: what the `app` and
    `client` fixtures give, for a test that needs other settings."""
    settings = replace(settings, **changes)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            yield app, client


@pytest.fixture
def db(app: Starlette) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
def shop(db: Database, settings: Settings, client: httpx.AsyncClient) -> Shop:
    """Customers on plans, signed in (tests/shop.py), with a frozen clock."""
    clock.freeze()
    return Shop(db, settings, client)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


class Page:
    """A response's HTML, for assertions. `css_first` fails loudly when nothing matches, so a
    missing element reads as such rather than as an AttributeError on None; `maybe` is for
    asserting that something is absent."""

    def __init__(self, text: str) -> None:
        self.tree = HTMLParser(text)

    def css_first(self, selector: str) -> Node:
        node = self.tree.css_first(selector)
        assert node is not None, f"nothing matches {selector!r} in the page"
        return node

    def maybe(self, selector: str) -> Node | None:
        return self.tree.css_first(selector)

    def css(self, selector: str) -> list[Node]:
        return list(self.tree.css(selector))

    def text(self, separator: str = "", strip: bool = False) -> str:
        return str(self.tree.text(separator=separator, strip=strip))


def html(response: httpx.Response) -> Page:
    return Page(response.text)


# -- Mail ----------------------------------------------------------------------------------


@dataclass
class Inbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        content = envelope.content  # type: ignore[attr-defined]
        self.messages.append(message_from_bytes(content, policy=email.policy.default))
        return "250 OK"


@dataclass
class SmtpServer:
    controller: Controller
    inbox: Inbox

    @property
    def url(self) -> str:
        return f"smtp://{self.controller.hostname}:{self.controller.port}"

    def stop(self) -> None:
        self.controller.stop()

    def start(self) -> None:
        """Up again on the same port (a stopped controller cannot restart)."""
        self.controller = Controller(
            self.inbox, hostname=self.controller.hostname, port=self.controller.port
        )
        self.controller.start()


def wait_for_server(url: str, *, seconds: float = 15) -> None:
    """Until something answers HTTP at `url` (a server process starting)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(f"{url}/p/", timeout=1)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"nothing answers at {url}"
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def in_thread(app: Any) -> Iterator[str]:
    """`app` served by uvicorn on loopback in a thread of its own, as another party's server
    (a webhook receiver, Stripe): its base URL, until the block ends."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback, on a port of its own."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    server = SmtpServer(controller, inbox)
    yield server
    with contextlib.suppress(AssertionError, RuntimeError):
        server.controller.stop()
