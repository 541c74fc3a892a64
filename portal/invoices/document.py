"""An invoice as a PDF, laid out by WeasyPrint from `invoices/document.html`, which includes
the same partial and data as the invoice's page.

Why WeasyPrint: it lays out HTML and CSS with Pango and HarfBuzz, so text is shaped, broken
into lines and kerned as a browser would, and any script the fonts cover renders with its
real glyphs (Japanese and Chinese included); fonts are embedded as subsets, and the
document is one more template translated like the others. Libraries that place text by hand
(ReportLab, fpdf2) shape complex scripts only in part and would need a second layout.

The fonts are Noto Sans, JP and SC, from the npm registry (`npm ci`): nothing is committed,
and nothing is fetched at run time. Rendering takes about 0.1 s of CPU, in a worker thread,
at most two at a time.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import anyio
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from portal import ROOT, assets

FONTS = ROOT / "node_modules" / "@expo-google-fonts"
_FACES = {
    "Noto Sans": "noto-sans/{weight}/NotoSans_{weight}.ttf",
    "Noto Sans JP": "noto-sans-jp/{weight}/NotoSansJP_{weight}.ttf",
    "Noto Sans SC": "noto-sans-sc/{weight}/NotoSansSC_{weight}.ttf",
}
_WEIGHTS = {"400Regular": "normal", "700Bold": "bold"}
_LIMIT = anyio.CapacityLimiter(2)


def font_files() -> list[Path]:
    return [FONTS / path.format(weight=weight) for path in _FACES.values() for weight in _WEIGHTS]


@cache
def _stylesheet_text(lang: str) -> str:
    faces = "\n".join(
        f"@font-face {{ font-family: '{family}'; font-weight: {css_weight}; "
        f"src: url('{(FONTS / path.format(weight=weight)).as_uri()}'); }}"
        for family, path in _FACES.items()
        for weight, css_weight in _WEIGHTS.items()
    )
    # Han characters take the shapes of the reader's script: Japanese, else Simplified Chinese.
    cjk = "'Noto Sans JP', 'Noto Sans SC'" if lang == "ja" else "'Noto Sans SC', 'Noto Sans JP'"
    return faces + f"\nhtml {{ font-family: 'Noto Sans', {cjk}, sans-serif; }}\n" + _css()


@cache
def _css() -> str:
    return (ROOT / "static" / "css" / "document.css").read_text(encoding="utf-8")


STATIC = "file:///static/"  # a logo among the portal's own files: `/static/…` from "/"


class _Fetcher(URLFetcher):  # type: ignore[misc]  # weasyprint has no types
    """The fonts; the portal's own static files (a logo under /static) from memory; an https
    logo of the merchant's, with a short timeout and no redirect; nothing else."""

    def __init__(self) -> None:
        super().__init__(timeout=5, allow_redirects=False)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith(STATIC):
            asset = assets.of("static").find(url.removeprefix(STATIC))
            if asset is not None:
                media_type = asset.media_type.partition(";")[0]
                return URLFetcherResponse(url, asset.body, {"Content-Type": media_type})
        elif url.startswith("https://") or (
            url.startswith("file://") and Path(url.removeprefix("file://")).is_relative_to(FONTS)
        ):
            return super().fetch(url, headers)
        raise ValueError(f"not fetched for an invoice document: {url}")


def _pdf(html: str, lang: str) -> bytes:
    fonts = FontConfiguration()
    stylesheet = CSS(string=_stylesheet_text(lang), font_config=fonts)
    document = HTML(string=html, base_url="/", url_fetcher=_Fetcher())
    return document.write_pdf(stylesheets=[stylesheet], font_config=fonts)  # type: ignore[no-any-return]


async def pdf(html: str, lang: str) -> bytes:
    return await anyio.to_thread.run_sync(_pdf, html, lang, limiter=_LIMIT)
