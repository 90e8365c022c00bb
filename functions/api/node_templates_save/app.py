"""POST /node-templates - save a configured node as a template."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.node_templates import save_node_template

_handle = route(save_node_template)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
