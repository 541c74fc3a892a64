"""A portal configuration's branding, turned into CSS custom properties.

The values were checked when the configuration was loaded (merchant/configuration.py)."""

from __future__ import annotations

from dataclasses import dataclass

from portal.merchant.configuration import Configuration

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
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
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
    def of(cls, configuration: Configuration | None) -> Branding:
        """A configuration's look; the portal's own without one (an unknown login link)."""
        if configuration is None:
            return cls()
        brand, profile = configuration.branding, configuration.business_profile
        return cls(
            business_name=profile.name,
            headline=profile.headline or "",
            logo_url=brand.logo_url,
            icon_url=brand.icon_url,
            background_color=brand.background_color,
            button_color=brand.button_color,
            font=brand.font,
            corner_shape=brand.corner_shape,
            privacy_policy_url=profile.privacy_policy_url,
            terms_of_service_url=profile.terms_of_service_url,
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
