"""A merchant's webhook receiver on loopback: it keeps what it is sent and answers with the
statuses it is told to (a 500 first, then 200…), as a real server in its own thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import in_thread


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
    with in_thread(Starlette(routes=[Route("/hook", receiver.hook, methods=["POST"])])) as url:
        receiver.url = f"{url}/hook"
        yield receiver
