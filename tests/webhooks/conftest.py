"""The API's client fixtures serve here too: endpoints are made through the API."""

from tests.api.conftest import make_stripe, stripe_client

__all__ = ["make_stripe", "stripe_client"]
