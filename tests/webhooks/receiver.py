"""A merchant's webhook receiver on loopback: it keeps what it is sent and answers with the
statuses it is told to (a 500 first, then 200…), as a real server in its own thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import free_port


@dataclass
class Received:
    body: bytes
    signature: str


@dataclass
class Receiver:
    url: str = ""
    answers: list[int] = field(default_factory=list)  # statuses to give, in order; then 200
    received: list[Received] = field(default_factory=list)

    async def hook(self, request: Request) -> Response:
        self.received.append(Received(await request.body(), request.headers["stripe-signature"]))
        status = self.answers.pop(0) if self.answers else 200
        return Response(status_code=status)


@contextmanager
def receiving(answers: list[int] | None = None) -> Iterator[Receiver]:
    receiver = Receiver(answers=list(answers or []))
    app = Starlette(routes=[Route("/hook", receiver.hook, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        server.should_exit = True
        thread.join(timeout=5)
