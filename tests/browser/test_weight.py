"""What the signed-in overview costs a browser: the bytes of a first visit, the requests of a
reload. Counted from Chromium's own network events (DevTools protocol), which say whether an
answer came from the server or from the browser's cache, and how many bytes it took."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Browser, BrowserContext, expect

from tests.browser.conftest import portal_command

CUSTOMER = "cus_Vfh9zdScdPorvi"
FIRST_LOAD_BUDGET = 40_000  # bytes on the wire, headers included (DESIGN.md §5)


@dataclass
class Network:
    """Requests of one page as Chromium reports them: which reached the server, and the
    bytes each took on the wire."""

    urls: dict[str, str] = field(default_factory=dict)  # request id → URL
    cached: set[str] = field(default_factory=set)
    transferred: dict[str, int] = field(default_factory=dict)
    cache_control: dict[str, str] = field(default_factory=dict)  # URL → its header
    redirects: int = 0  # bytes of redirects on the way (they share their request's id)

    def on_request(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]
        if "redirectResponse" in event:
            self.redirects += int(event["redirectResponse"]["encodedDataLength"])

    def on_response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        headers = {name.lower(): value for name, value in response["headers"].items()}
        self.cache_control[response["url"]] = headers.get("cache-control", "")
        if (
            response.get("fromDiskCache")
            or response.get("fromPrefetchCache")
            or response.get("fromServiceWorker")
        ):
            self.cached.add(event["requestId"])

    def on_finished(self, event: dict[str, Any]) -> None:
        self.transferred[event["requestId"]] = int(event["encodedDataLength"])

    @property
    def from_server(self) -> list[str]:
        return [url for request_id, url in self.urls.items() if request_id not in self.cached]

    def clear(self) -> None:
        self.urls.clear()
        self.cached.clear()
        self.transferred.clear()
        self.cache_control.clear()
        self.redirects = 0


@asynccontextmanager
async def signed_in(
    browser: Browser, live_env: dict[str, str]
) -> AsyncIterator[tuple[BrowserContext, Any, Network]]:
    """A fresh browser (empty cache) about to open a customer's one-time session URL, with
    its network watched."""
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    network = Network()
    cdp.on("Network.requestWillBeSent", network.on_request)
    cdp.on("Network.requestServedFromCache", lambda event: network.cached.add(event["requestId"]))
    cdp.on("Network.responseReceived", network.on_response)
    cdp.on("Network.loadingFinished", network.on_finished)
    await cdp.send("Network.enable")
    try:
        yield context, page, network
    finally:
        await context.close()


async def _open_overview(page: Any, live_env: dict[str, str]) -> None:
    url = portal_command(live_env, "session", "create", CUSTOMER, "--locale", "en")
    await page.goto(url)
    await expect(page).to_have_url(f"{live_env['BASE_URL']}/p/")
    await expect(page.locator("#subscriptions h3")).to_have_count(1)
    await page.wait_for_load_state("networkidle")


async def test_a_reload_fetches_only_the_page(
    browser: Browser, live_server: str, live_env: dict[str, str]
) -> None:
    async with signed_in(browser, live_env) as (_, page, network):
        await _open_overview(page, live_env)
        files = [url for url in network.from_server if "/static/" in url]
        assert len(files) >= 3, network.urls  # CSS, htmx, our script (and the demo's images)
        # Kept because they say so, not by the browser's guess from their age.
        for url in files:
            assert "immutable" in network.cache_control[url], (url, network.cache_control)
        network.clear()

        await page.reload()
        await expect(page.locator("#subscriptions h3")).to_have_count(1)
        await page.wait_for_load_state("networkidle")

        assert network.from_server == [f"{live_server}/p/"], network.urls
        assert len(network.urls) > 1  # the files were asked for, and the cache answered


async def test_the_first_signed_in_load_stays_within_40_kb(
    browser: Browser, live_server: str, live_env: dict[str, str]
) -> None:
    async with signed_in(browser, live_env) as (_, page, network):
        await _open_overview(page, live_env)
        sizes = {network.urls[request_id]: size for request_id, size in network.transferred.items()}
        assert any("htmx" in url for url in sizes), sizes
        assert any(".css" in url for url in sizes), sizes
        # Everything on the wire, headers included, and the one-time URL's redirect too.
        total = sum(sizes.values()) + network.redirects
        assert total <= FIRST_LOAD_BUDGET, f"{total} bytes: {sizes}"
