"""GET /node-templates - the workspace's and its packages' node templates."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.node_templates import list_node_templates

_handle = route(list_node_templates)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
