"""Static files: fingerprinted URLs in pages, a year's caching, compressed once, from memory."""

from __future__ import annotations

import gzip
import re

import pytest
from httpx import ASGITransport, AsyncClient
from starlette.applications import Starlette
from starlette.routing import Mount

from portal import ROOT, assets
from portal.db import Database
from tests import factories
from tests.conftest import html

IMMUTABLE = "public, max-age=31536000, immutable"
FINGERPRINTED = re.compile(r"^/static/(?:vendor/htmx/)?[\w/.-]+\.[0-9a-f]{12}\.(?:css|js|svg)$")


async def _page_files(client: AsyncClient) -> list[str]:
    page = html(await client.get("/dev/"))
    return [node.attributes["href"] or "" for node in page.css("link[rel=stylesheet]")] + [
        node.attributes["src"] or "" for node in page.css("script[src]")
    ]


async def test_pages_refer_to_fingerprinted_files(client: AsyncClient) -> None:
    files = await _page_files(client)
    assert len(files) == 3, files  # the stylesheet, htmx and our script
    for url in files:
        assert FINGERPRINTED.match(url), url
    assert any(url.startswith("/static/vendor/htmx/htmx.min.") for url in files)


async def test_fingerprinted_files_are_immutable_and_compressed(client: AsyncClient) -> None:
    css = next(url for url in await _page_files(client) if url.endswith(".css"))
    original = (ROOT / "static" / "css" / "portal.css").read_bytes()

    response = await client.get(css, headers={"accept-encoding": "gzip, deflate, br"})

    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["vary"] == "accept-encoding"
    assert response.headers["content-encoding"] in ("gzip", "br")
    assert int(response.headers["content-length"]) < len(original) / 2
    assert response.content == original  # httpx decodes
    # Security headers on files too.
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_client_without_compression_gets_the_plain_file(client: AsyncClient) -> None:
    js = next(url for url in await _page_files(client) if "htmx" in url)
    response = await client.get(js, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert response.content == (ROOT / "node_modules/htmx.org/dist/htmx.min.js").read_bytes()
    refused = await client.get(js, headers={"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


async def test_files_are_compressed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    compressed: list[int] = []
    real = gzip.compress

    def counting(data: bytes, *args: object, **kwargs: object) -> bytes:
        compressed.append(len(data))
        return real(data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gzip, "compress", counting)
    fresh = assets.Assets(ROOT / "static")  # nothing compressed yet
    app = Starlette(routes=[Mount("/static", fresh, name="static")])
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as local:
        url = "/static/" + fresh.fingerprinted("css/portal.css")
        bodies = {
            (await local.get(url, headers={"accept-encoding": "gzip"})).content for _ in range(3)
        }
    assert len(bodies) == 1
    assert compressed == [len((ROOT / "static/css/portal.css").read_bytes())]


async def test_the_plain_name_still_works_and_revalidates(client: AsyncClient) -> None:
    response = await client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    etag = response.headers["etag"]
    again = await client.get("/static/css/portal.css", headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""


async def test_head_unknown_files_and_other_methods(client: AsyncClient) -> None:
    url = assets.of("static").fingerprinted("js/portal.js")
    head = await client.head(f"/static/{url}", headers={"accept-encoding": "gzip"})
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) > 0
    missing = await client.get("/static/css/nothing.css")
    assert missing.status_code == 404
    assert html(missing).css_first("h1") is not None  # the portal's error page
    assert (await client.get("/static/css/../../pyproject.toml")).status_code == 404
    post = await client.post(f"/static/{url}")
    assert post.status_code in (403, 405)  # no CSRF token: refused before it gets there


async def test_branding_images_of_our_own_are_fingerprinted(
    client: AsyncClient, db: Database
) -> None:
    data = await factories.customer_with_plan(db)
    config = data["configuration"]
    config["branding"] = {
        **config["branding"],
        "logo_url": "/static/img/demo-logo.svg",
        "icon_url": "https://cdn.example.com/icon.png",
    }
    await factories.seed(db, portal_configurations=[config])
    page = html(await client.get(f"/dev/customers/{data['customer']['id']}"))
    logo = page.css_first("img.brand-logo").attributes["src"] or ""
    assert FINGERPRINTED.match(logo), logo
    assert page.css_first("link[rel=icon]").attributes["href"] == "https://cdn.example.com/icon.png"
    response = await client.get(logo)
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["content-type"] == "image/svg+xml"
