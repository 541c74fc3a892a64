"""Static files from memory: fingerprinted URLs, cached for a year, compressed once.

Pages refer to `css/portal.<hash>.css` (`url_for('static', path='css/portal.css')`): the
name changes with the content, so browsers keep the file for a year without asking again
(`immutable`), and a reload fetches the page alone. The plain name is still served, for
addresses stored elsewhere, with a validator to revalidate against.

Every file is read once, and compressed once when first asked for compressed (gzip, and
brotli when the `brotli` module happens to be installed). A request is then a dict lookup
and one send: no file system access and no hop to a thread. Static files only: pages are
never compressed (see `app.py`).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from portal import ROOT

try:  # optional: brotli when installed for another reason, gzip otherwise
    import brotli  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - depends on the machine
    brotli = None

DIRECTORIES = {
    "static": ROOT / "static",
    "htmx": ROOT / "node_modules" / "htmx.org" / "dist",
}
"""Mount name → the directory it serves."""

IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
MIN_COMPRESSED = 256  # smaller files gain less than the header costs
HASH_LENGTH = 12  # hex digits: 48 bits, no collision among a few hundred files


@dataclass
class Asset:
    name: str  # the plain path below the directory: "css/portal.css"
    body: bytes
    media_type: str
    digest: str
    modified: int  # st_mtime_ns when read
    _encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def fingerprinted(self) -> str:
        stem, dot, suffix = self.name.rpartition(".")
        if not dot or "/" in suffix:
            return f"{self.name}.{self.digest}"
        return f"{stem}.{self.digest}.{suffix}"

    @property
    def compressible(self) -> bool:
        return len(self.body) >= MIN_COMPRESSED and self.media_type.startswith(COMPRESSIBLE)

    def encoded(self, encoding: str) -> bytes:
        """The body in this encoding, compressed the first time it is asked for."""
        found = self._encoded.get(encoding)
        if found is None:
            if encoding == "br" and brotli is not None:
                found = brotli.compress(self.body)
            else:
                found = gzip.compress(self.body, compresslevel=9, mtime=0)
            self._encoded[encoding] = found
        return found


class Assets:
    """The files of one directory, as an ASGI app to mount."""

    watch = False
    """Debug mode: pages pick up files edited while the server runs (a stat per URL)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._by_path: dict[str, tuple[Asset, bool]] = {}  # URL path → (asset, fingerprinted)
        self._assets: dict[str, Asset] = {}
        if directory.is_dir():
            for path in sorted(directory.rglob("*")):
                if path.is_file() and path.suffix not in (".gz", ".br"):
                    self._read(path.relative_to(directory).as_posix())

    def _read(self, name: str) -> Asset | None:
        path = self.directory / name
        try:
            modified = path.stat().st_mtime_ns
            body = path.read_bytes()
        except OSError:
            return None
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type == "application/javascript":
            media_type += "; charset=utf-8"
        asset = Asset(
            name, body, media_type, hashlib.sha256(body).hexdigest()[:HASH_LENGTH], modified
        )
        self._assets[name] = asset
        self._by_path[name] = (asset, False)
        self._by_path[asset.fingerprinted] = (asset, True)
        return asset

    def find(self, path: str) -> Asset | None:
        """The file at this path below the mount (plain or fingerprinted)."""
        found = self._by_path.get(path)
        return found[0] if found else None

    def fingerprinted(self, name: str) -> str:
        """The content-addressed path of a file (the plain one if there is no such file)."""
        asset = self._assets.get(name)
        if self.watch:
            asset = self._fresh(name, asset)
        return name if asset is None else asset.fingerprinted

    def _fresh(self, name: str, asset: Asset | None) -> Asset | None:
        path = (self.directory / name).resolve()
        if not path.is_relative_to(self.directory.resolve()):
            return asset  # a stored branding URL may point anywhere: only this directory
        try:
            modified = path.stat().st_mtime_ns
        except (OSError, ValueError):
            return asset
        return asset if asset is not None and asset.modified == modified else self._read(name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        # Below the mount: Starlette's Mount puts the mount's prefix in root_path.
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        found = self._by_path.get(path.removeprefix(root_path).lstrip("/"))
        # Refusals are the portal's error pages, as from any route.
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"allow": "GET, HEAD"})
        if found is None:
            raise HTTPException(404)
        asset, fingerprinted = found
        await self._send(scope, send, asset, fingerprinted)

    async def _send(self, scope: Scope, send: Send, asset: Asset, fingerprinted: bool) -> None:
        request_headers = dict(scope["headers"])
        etag = f'"{asset.digest}"'.encode()
        headers = [
            (b"content-type", asset.media_type.encode()),
            (b"etag", etag),
            (b"cache-control", IMMUTABLE if fingerprinted else REVALIDATE),
        ]
        if not fingerprinted and etag in request_headers.get(b"if-none-match", b""):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = asset.body
        if asset.compressible:
            headers.append((b"vary", b"accept-encoding"))
            encoding = _preferred(request_headers.get(b"accept-encoding", b""))
            if encoding:
                body = asset.encoded(encoding)
                headers.append((b"content-encoding", encoding.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )


@lru_cache(maxsize=64)
def _preferred(accept_encoding: bytes) -> str | None:
    """br or gzip, if the client takes it (a q of 0 refuses); browsers send few variants."""
    accepted = set()
    for part in accept_encoding.decode("latin-1").lower().split(","):
        coding, _, params = part.strip().partition(";")
        quality = params.strip().removeprefix("q=")
        if not (params.strip().startswith("q=") and _is_zero(quality)):
            accepted.add(coding.strip())
    if brotli is not None and "br" in accepted:
        return "br"
    return "gzip" if "gzip" in accepted or "*" in accepted else None


def _is_zero(quality: str) -> bool:
    try:
        return float(quality) == 0
    except ValueError:
        return False


@cache
def of(name: str) -> Assets:
    """The files of a mount, read once per process."""
    return Assets(DIRECTORIES[name])
