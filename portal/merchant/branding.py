"""A portal configuration's branding, checked and turned into CSS custom properties."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

# No web fonts from third parties: each choice is a stack of fonts already on the device.
FONTS = {
    "system": 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif',
    "sans-serif": '"Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif',
    "serif": 'Georgia, "Times New Roman", "Noto Serif", serif',
    "rounded": 'ui-rounded, "SF Pro Rounded", "Varela Round", system-ui, sans-serif',
    "monospace": 'ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace',
}
CORNERS = {"square": "0", "rounded": "0.5rem", "pill": "999px"}

DEFAULT_BACKGROUND = "#ffffff"
DEFAULT_BUTTON = "#0b57d0"


def _luminance(colour: str) -> float:
    digits = colour[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def readable_on(colour: str) -> str:
    """Black or white, whichever contrasts more with `colour` (WCAG relative luminance)."""
    lum = _luminance(colour)
    return "#000000" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#ffffff"


@dataclass(frozen=True)
class Branding:
    business_name: str = ""
    headline: str = ""
    logo_url: str | None = None
    icon_url: str | None = None
    background_color: str = DEFAULT_BACKGROUND
    button_color: str = DEFAULT_BUTTON
    font: str = "system"
    corner_shape: str = "rounded"
    privacy_policy_url: str | None = None
    terms_of_service_url: str | None = None

    @classmethod
    def of(cls, configuration: Mapping[str, Any] | None) -> Branding:
        """Values that fail the checks fall back to defaults: the page always renders safely."""
        if not configuration:
            return cls()
        brand = configuration.get("branding") or {}
        profile = configuration.get("business_profile") or {}

        def colour(value: Any, default: str) -> str:
            return value if isinstance(value, str) and HEX_COLOUR.match(value) else default

        def https(value: Any) -> str | None:
            return value if isinstance(value, str) and value.startswith("https://") else None

        def image(value: Any) -> str | None:
            # An HTTPS address, or a path on this portal (the demo's own images).
            local = isinstance(value, str) and value.startswith("/") and not value.startswith("//")
            return value if local else https(value)

        return cls(
            business_name=str(profile.get("name") or ""),
            headline=str(profile.get("headline") or ""),
            logo_url=image(brand.get("logo_url")),
            icon_url=image(brand.get("icon_url")),
            background_color=colour(brand.get("background_color"), DEFAULT_BACKGROUND),
            button_color=colour(brand.get("button_color"), DEFAULT_BUTTON),
            font=str(brand["font"]) if brand.get("font") in FONTS else "system",
            corner_shape=(str(brand["corner_shape"]) if brand.get("corner_shape") in CORNERS
                          else "rounded"),
            privacy_policy_url=https(profile.get("privacy_policy_url")),
            terms_of_service_url=https(profile.get("terms_of_service_url")),
        )

    @property
    def css_variables(self) -> dict[str, str]:
        return {
            "--brand-background": self.background_color,
            "--brand-on-background": readable_on(self.background_color),
            "--brand-button": self.button_color,
            "--brand-on-button": readable_on(self.button_color),
            "--brand-font": FONTS[self.font],
            "--brand-radius": CORNERS[self.corner_shape],
        }
