"""What the layers may know of each other: errors know nothing of the web; the one error
handler answers an API client in JSON."""

from __future__ import annotations

import ast
from pathlib import Path

from httpx import AsyncClient

from portal import ROOT

ERROR_MODULES = ["portal/errors.py", "portal/subscriptions/errors.py", "portal/payments/errors.py"]
NOT_WEB = ("__future__", "typing", "portal.core", "portal.errors", "portal.billing.money")


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_errors_import_nothing_from_the_web_layer() -> None:
    for module in ERROR_MODULES:
        web = {name for name in imports(ROOT / module) if not name.startswith(NOT_WEB)}
        assert not web, f"{module} imports {web}"


async def test_api_clients_get_errors_as_json(client: AsyncClient) -> None:
    response = await client.get("/v1/nothing/here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {
            "type": "invalid_request_error",
            "code": "not_found",
            "message": "There is nothing at this address. Check the link, or start again from the "
            "page that sent you here.",
        }
    }
    assert response.headers["x-content-type-options"] == "nosniff"
