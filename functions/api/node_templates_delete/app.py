"""DELETE /node-templates/{id} - delete a node template."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.node_templates import delete_node_template

_handle = route(delete_node_template)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
