"""GET /node-templates/{id} - one node template to use."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.node_templates import get_node_template

_handle = route(get_node_template)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
