"""Counters of events per key in fixed windows, shared by every process through the database.

Keys are keyed hashes: emails and addresses are not kept in clear in the counters."""

from __future__ import annotations

from dataclasses import dataclass

from portal import clock
from portal.auth import queries
from portal.db import Database
from portal.errors import TooManyAttempts
from portal.security import keyed_hash


@dataclass(frozen=True)
class Throttle:
    db: Database
    secret: str

    def key(self, kind: str, value: str) -> str:
        # Emails and addresses are not kept in clear in the counters.
        return f"{kind}:{keyed_hash(self.secret, 'throttle', value)[:40]}"

    async def hit(self, kind: str, value: str, window: int) -> int:
        return await queries.hit(
            self.db, self.key(kind, value), window=window, now=clock.timestamp()
        )

    async def count(self, kind: str, value: str, limit: int, window: int) -> None:
        if await self.hit(kind, value, window) > limit:
            raise TooManyAttempts()

    async def current(self, kind: str, value: str, window: int) -> int:
        return await queries.current(
            self.db, self.key(kind, value), window=window, now=clock.timestamp()
        )

    async def take_back(self, kind: str, value: str) -> None:
        await queries.unhit(self.db, self.key(kind, value))
