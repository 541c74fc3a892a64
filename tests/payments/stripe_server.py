"""A local HTTP server answering in Stripe's documented shapes, for the Stripe adapter's tests:
the payment network is the one thing simulated. It keeps Checkout Sessions (setup mode),
PaymentMethods, PaymentIntents (with Idempotency-Key replay, as Stripe does) and refunds.

Cards behave as Stripe's test cards do, by their last four digits: 0002 is declined, 9995 has
insufficient funds, 3184 needs authentication on every charge; the rest succeed."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.conftest import in_thread

DECLINES = {
    "0002": ("card_declined", "generic_decline"),
    "9995": ("card_declined", "insufficient_funds"),
    "3184": ("authentication_required", "authentication_required"),
}
_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}_test{next(_ids):08d}"


def _form(body: bytes) -> dict[str, Any]:
    """Stripe's nested-bracket form encoding, enough of it: a[b]=c and a[]=c."""
    data: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        if "[" in key:
            outer, inner = key.split("[", 1)
            inner = inner.rstrip("]")
            if inner == "" or inner.isdigit():
                data.setdefault(outer, []).append(value)
            else:
                data.setdefault(outer, {})[inner] = value
        else:
            data[key] = value
    return data


def _error(status: int, **error: Any) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status)


@dataclass
class FakeStripe:
    url: str = ""
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    replies: dict[str, tuple[int, Any]] = field(default_factory=dict)  # by Idempotency-Key
    keys_seen: list[str] = field(default_factory=list)

    def complete(
        self, session_id: str, number: str, exp_month: int = 12, exp_year: int = 2034
    ) -> None:
        """The customer enters `number` on Checkout's page and it is saved."""
        session = self.sessions[session_id]
        method = {
            "id": _id("pm"),
            "object": "payment_method",
            "type": "card",
            "customer": session["customer"],
            "card": {
                "brand": "visa" if number.startswith("4") else "mastercard",
                "last4": number[-4:],
                "exp_month": exp_month,
                "exp_year": exp_year,
                "fingerprint": f"fp{number[-8:]}",
            },
        }
        self.methods[method["id"]] = method
        session["status"] = "complete"
        session["setup_intent"] = {
            "id": _id("seti"),
            "object": "setup_intent",
            "status": "succeeded",
            "payment_method": method["id"],
        }

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/checkout/sessions", self.create_session, methods=["POST"]),
                Route("/v1/checkout/sessions/{id}", self.get_session, methods=["GET"]),
                Route("/v1/payment_intents", self.create_intent, methods=["POST"]),
                Route("/v1/payment_intents/search", self.search_intents, methods=["GET"]),
                Route("/v1/payment_intents/{id}", self.get_intent, methods=["GET"]),
                Route("/v1/refunds", self.create_refund, methods=["POST"]),
            ]
        )

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization", "").startswith("Bearer sk_test_")

    async def create_session(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, type="invalid_request_error", message="Invalid API Key")
        data = _form(await request.body())
        if data.get("mode") != "setup" or not data.get("customer"):
            return _error(400, type="invalid_request_error", message="Missing mode or customer")
        session_id = _id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "setup",
            "customer": data["customer"],
            "status": "open",
            "url": f"https://checkout.stripe.test/c/{session_id}",
            "success_url": data["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id),
            "cancel_url": data["cancel_url"],
            "setup_intent": None,
        }
        self.sessions[session_id] = session
        return JSONResponse(session)

    async def get_session(self, request: Request) -> Response:
        session = self.sessions.get(request.path_params["id"])
        if session is None:
            return _error(
                404,
                type="invalid_request_error",
                code="resource_missing",
                message="No such session",
            )
        expanded = json.loads(json.dumps(session))
        intent = expanded["setup_intent"]
        expand = [v for k, v in request.query_params.multi_items() if k.startswith("expand[")]
        if intent and "setup_intent.payment_method" in expand:
            intent["payment_method"] = self.methods[intent["payment_method"]]
        return JSONResponse(expanded)

    async def create_intent(self, request: Request) -> Response:
        key = request.headers.get("idempotency-key", "")
        self.keys_seen.append(key)
        if key in self.replies:
            status, body = self.replies[key]
            return JSONResponse(body, status_code=status)
        data = _form(await request.body())
        method = self.methods.get(data.get("payment_method", ""))
        intent = {
            "id": _id("pi"),
            "object": "payment_intent",
            "amount": int(data["amount"]),
            "currency": data["currency"],
            "customer": data.get("customer"),
            "payment_method": data.get("payment_method"),
            "metadata": data.get("metadata", {}),
            "status": "succeeded",
            "last_payment_error": None,
        }
        status, body = 200, intent
        decline = DECLINES.get(method["card"]["last4"]) if method else ("card_declined", None)
        present = data.get("off_session") != "true" and data.get("return_url")
        if decline and decline[0] == "authentication_required" and present:
            decline = None
            intent["status"] = "requires_action"
            intent["next_action"] = {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "url": f"https://hooks.stripe.test/3ds/{intent['id']}",
                    "return_url": data["return_url"],
                },
            }
        if decline:
            code, decline_code = decline
            intent["status"] = "requires_payment_method"
            error = {
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "message": "Your card was declined.",
            }
            intent["last_payment_error"] = error
            status, body = 402, {"error": {**error, "payment_intent": intent}}
        self.intents[intent["id"]] = intent
        self.replies[key] = (status, body)
        return JSONResponse(body, status_code=status)

    def authenticate(self, intent_id: str, *, passed: bool = True) -> None:
        """The customer completes (or fails) the bank's step for a payment."""
        intent = self.intents[intent_id]
        intent.pop("next_action", None)
        if passed:
            intent["status"] = "succeeded"
        else:
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {
                "type": "card_error",
                "code": "payment_intent_authentication_failure",
                "message": "The payment was not authenticated.",
            }

    async def get_intent(self, request: Request) -> Response:
        intent = self.intents.get(request.path_params["id"])
        if intent is None:
            return _error(404, type="invalid_request_error", code="resource_missing")
        return JSONResponse(intent)

    async def search_intents(self, request: Request) -> Response:
        query = request.query_params.get("query", "")
        wanted = query.split(":", 1)[1].strip("'") if ":" in query else ""
        found = [i for i in self.intents.values() if wanted in i["metadata"].values()]
        return JSONResponse({"object": "search_result", "data": found, "has_more": False})

    async def create_refund(self, request: Request) -> Response:
        data = _form(await request.body())
        refund = {"id": _id("re"), "object": "refund", "payment_intent": data["payment_intent"]}
        self.refunds.append(refund)
        return JSONResponse(refund)


@contextmanager
def running() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    with in_thread(fake.app()) as url:
        fake.url = url
        yield fake
