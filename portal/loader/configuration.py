"""The load format's portal configurations: the stored object around the typed settings of
merchant/configuration.py (business profile, branding, features, login page)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from portal.core.fields import ConfigurationId, HttpsUrl, Metadata, Stored, Timestamp
from portal.merchant.configuration import (
    BrandingSettings,
    BusinessProfile,
    Features,
    LoginPage,
)


class PortalConfiguration(Stored):
    id: ConfigurationId
    active: bool = True
    is_default: bool = False
    business_profile: BusinessProfile
    branding: BrandingSettings = BrandingSettings()
    features: Features = Features()
    default_return_url: HttpsUrl | None = None
    login_page: LoginPage = LoginPage()
    metadata: Metadata = {}
    name: Annotated[str, StringConstraints(max_length=256)] | None = None
    updated: Timestamp | None = None
