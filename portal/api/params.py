"""Request parameters as Stripe's SDKs send them: form-encoded, nested with brackets.

`features[customer_update][allowed_updates][0]=email` and `metadata[plan]=pro` become
`{"features": {"customer_update": {"allowed_updates": ["email"]}}, "metadata": {"plan": "pro"}}`;
`expand[]=x` appends. Query strings (list filters) read the same way."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from portal.api.errors import InvalidRequest

_PART = re.compile(r"\[([^\[\]]*)\]")
MAX_DEPTH = 8


def parse(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for name, value in pairs:
        head, _, rest = name.partition("[")
        keys = [head, *_PART.findall("[" + rest)] if rest else [head]
        well_formed = not rest or "".join(f"[{k}]" for k in keys[1:]) == "[" + rest
        if not head or len(keys) > MAX_DEPTH or not well_formed:
            raise InvalidRequest(f"Invalid parameter name: {name}", param=name)
        node: dict[str, Any] = root
        for key in keys[:-1]:
            child = node.setdefault(key or str(len(node)), {})
            if not isinstance(child, dict):
                raise InvalidRequest(f"Invalid parameter name: {name}", param=name)
            node = child
        last = keys[-1] or str(len(node))
        if isinstance(node.get(last), dict):
            raise InvalidRequest(f"Invalid parameter name: {name}", param=name)
        node[last] = value
    parsed: dict[str, Any] = _lists(root)
    return parsed


def _lists(node: Any) -> Any:
    """Objects whose keys are all indexes (`[0]`, `[1]`, or `[]`) are arrays, in index order."""
    if not isinstance(node, dict):
        return node
    values = {key: _lists(value) for key, value in node.items()}
    if values and all(key.isdigit() for key in values):
        return [values[key] for key in sorted(values, key=int)]
    return values
