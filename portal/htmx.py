"""What htmx says about a request, from its headers (htmx 2.x)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request


@dataclass(frozen=True)
class HtmxDetails:
    request: bool = False
    boosted: bool = False
    history_restore: bool = False
    target: str | None = None
    trigger: str | None = None
    current_url: str | None = None

    @property
    def partial(self) -> bool:
        """True when the response may be a fragment (a history restore needs the whole page)."""
        return self.request and not self.history_restore and not self.boosted

    @classmethod
    def from_request(cls, request: Request) -> HtmxDetails:
        headers = request.headers
        if headers.get("hx-request") != "true":
            return cls()
        return cls(
            request=True,
            boosted=headers.get("hx-boosted") == "true",
            history_restore=headers.get("hx-history-restore-request") == "true",
            target=headers.get("hx-target"),
            trigger=headers.get("hx-trigger"),
            current_url=headers.get("hx-current-url"),
        )
