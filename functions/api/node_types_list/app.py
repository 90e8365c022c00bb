"""GET /node-types — the built-in node types with their schemas and handles."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.catalog import list_node_types

_handle = route(list_node_types)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
