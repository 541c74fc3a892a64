"""The code mail with the SMTP server down: the page is normal, the mail comes later, once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx

from portal import clock, mail
from portal.app import create_app
from portal.db import Database
from portal.settings import Settings
from tests import factories
from tests.auth.helpers import ask_for_code, code_in
from tests.conftest import BASE_URL, SECRET, SmtpServer


async def wait_for(condition: object, seconds: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_smtp_down_then_up_delivers_once(settings: Settings,
                                               smtp_server: SmtpServer) -> None:
    smtp_server.stop()
    app = create_app(replace(settings, smtp_url=smtp_server.url))
    async with app.router.lifespan_context(app):
        db: Database = app.state.db
        data = await factories.customer_with_plan(db, email="ines@example.com")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            response = await ask_for_code(client, data["configuration"]["login_page"]["link_id"],
                                          "ines@example.com")
            assert response.status_code == 303  # the customer sees the usual page
            page = await client.get(response.headers["location"])
            assert page.status_code == 200
        [queued] = await db.fetch_all(mail.outbox.select())
        # The background sender tried and failed; the message waits for its retry.
        for _ in range(100):
            row = await db.fetch_one(mail.outbox.select())
            if row and row["attempts"]:
                break
            await asyncio.sleep(0.05)
        assert row is not None and row["attempts"] >= 1 and row["sent_at"] is None
        smtp_server.start()
        clock.advance(mail.BACKOFF_SECONDS[-1])
        app.state.mail_wake.set()
        await wait_for(lambda: len(smtp_server.inbox.messages) == 1)
        clock.advance(mail.BACKOFF_SECONDS[-1])
        app.state.mail_wake.set()
        await asyncio.sleep(0.3)
        assert len(smtp_server.inbox.messages) == 1
        [message] = smtp_server.inbox.messages
        body = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
        assert code_in(body) == code_in(str(queued["body_text"]))


def test_the_worker_sends_what_is_queued(tmp_path: Path, sqlite_template: Path,
                                         smtp_server: SmtpServer) -> None:
    database = tmp_path / "worker.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{database}"

    async def queue() -> None:
        db = Database(url)
        await db.connect()
        await mail.queue(db, to="ops@example.com", template="test", locale="en",
                         context={"business_name": "Tessellate"}, test_mode=True)
        await db.disconnect()

    asyncio.run(queue())
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET,
           "SMTP_URL": smtp_server.url}
    worker = subprocess.Popen([sys.executable, "-m", "portal", "worker", "--interval", "0.2"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            if smtp_server.inbox.messages:
                break
            time.sleep(0.1)
        assert len(smtp_server.inbox.messages) == 1
    finally:
        worker.terminate()
        worker.wait(timeout=10)
