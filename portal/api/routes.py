"""The /v1 routes: Stripe's paths, each an `endpoint` (api/endpoint.py)."""

from __future__ import annotations

from starlette.routing import Route

from portal.api import configurations, reads, sessions, webhook_endpoints
from portal.api.endpoint import endpoint

CONFIGURATIONS = "/billing_portal/configurations"

routes = [
    Route("/billing_portal/sessions", endpoint(sessions.create), methods=["POST"]),
    Route(CONFIGURATIONS, endpoint(configurations.create), methods=["POST"]),
    Route(CONFIGURATIONS, endpoint(configurations.listing), methods=["GET"]),
    Route(CONFIGURATIONS + "/{configuration}", endpoint(configurations.retrieve), methods=["GET"]),
    Route(CONFIGURATIONS + "/{configuration}", endpoint(configurations.update), methods=["POST"]),
    Route("/customers/{customer}", endpoint(reads.customer), methods=["GET"]),
    Route("/subscriptions", endpoint(reads.subscription_list), methods=["GET"]),
    Route("/invoices", endpoint(reads.invoice_list), methods=["GET"]),
    Route("/events", endpoint(reads.event_list), methods=["GET"]),
    Route("/webhook_endpoints", endpoint(webhook_endpoints.create), methods=["POST"]),
    Route("/webhook_endpoints", endpoint(webhook_endpoints.listing), methods=["GET"]),
    Route("/webhook_endpoints/{endpoint}", endpoint(webhook_endpoints.retrieve), methods=["GET"]),
    Route("/webhook_endpoints/{endpoint}", endpoint(webhook_endpoints.update), methods=["POST"]),
    Route("/webhook_endpoints/{endpoint}", endpoint(webhook_endpoints.delete), methods=["DELETE"]),
]
