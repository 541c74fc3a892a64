"""Every object the API returns has the shape of Stripe's published description
(`../shared/stripe/billing-portal-openapi.json`, or the copy named by STRIPE_OPENAPI): required
fields present, enum values among the documented ones, types as documented."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import stripe

from tests.api.test_configurations import FEATURES
from tests.shop import Shop

# Beside the project's checkout, as on the machines it is developed on.
_NEAR = [
    folder / "shared" / "stripe" / "billing-portal-openapi.json"
    for folder in (Path(__file__).resolve().parents[3], Path("/work"))
]
SPEC = Path(os.environ.get("STRIPE_OPENAPI") or next((p for p in _NEAR if p.is_file()), _NEAR[0]))
TYPES: dict[str, type | tuple[type, ...]] = {
    "boolean": bool,
    "string|null": (str, type(None)),
    "integer|null": (int, type(None)),
    "integer": int,
    "string[]": list,
    "string": str,
}


def spec() -> dict[str, Any]:
    if not SPEC.is_file():
        pytest.skip(f"Stripe's description is not at {SPEC}")
    current: dict[str, Any] = json.loads(SPEC.read_text())["current_2026-07-29.dahlia"]
    components: dict[str, Any] = current["components"]
    return components


def check_session(body: dict[str, Any]) -> list[str]:
    schema = spec()["billing_portal.session"]
    problems = [f"missing {name}" for name in schema["required"] if name not in body]
    for name, prop in schema["properties"].items():
        value = body.get(name)
        if "enum" in prop and value is not None and value not in prop["enum"]:
            problems.append(f"{name}: {value!r} not in the enum")
    return problems


def check_features(shape: dict[str, Any], value: dict[str, Any], at: str) -> list[str]:
    problems = []
    for key, expected in shape.items():
        name = key.removesuffix("[]")
        if name not in value:
            problems.append(f"missing {at}{name}")
            continue
        found = value[name]
        if key.endswith("[]"):
            for index, item in enumerate(found):
                problems += check_features(expected, item, f"{at}{name}[{index}].")
        elif isinstance(expected, dict):
            problems += check_features(expected, found, f"{at}{name}.")
        elif isinstance(expected, list):
            members = found if isinstance(found, list) else [found]
            problems += [
                f"{at}{name}: {m!r} not in {expected}" for m in members if m not in expected
            ]
        elif not isinstance(found, TYPES[expected]):
            problems.append(f"{at}{name}: {found!r} is not {expected}")
    return problems


def check_configuration(body: dict[str, Any]) -> list[str]:
    schema = spec()["billing_portal.configuration"]
    problems = [f"missing {name}" for name in schema["properties_current"] if name not in body]
    if body.get("object") != "billing_portal.configuration":
        problems.append("object")
    return problems + check_features(schema["features_current"], body["features"], "features.")


async def test_sessions_and_configurations_have_stripes_shapes(
    shop: Shop, stripe_client: stripe.StripeClient
) -> None:
    data = await shop.customer()
    params: Any = {"features": FEATURES, "login_page": {"enabled": True}}
    configuration = await stripe_client.v1.billing_portal.configurations.create_async(params)
    bodies = [configuration.to_dict()]
    bodies.append(
        (
            await stripe_client.v1.billing_portal.configurations.retrieve_async(configuration.id)
        ).to_dict()
    )
    listed = await stripe_client.v1.billing_portal.configurations.list_async()
    bodies += [c.to_dict() for c in listed.data]
    for body in bodies:
        assert check_configuration(body) == [], body["id"]
    for locale in (None, "auto", "ja", "pt-BR"):
        request: Any = {
            "customer": data["customer"]["id"],
            **({"locale": locale} if locale else {}),
        }
        session = await stripe_client.v1.billing_portal.sessions.create_async(request)
        assert check_session(session.to_dict()) == []
