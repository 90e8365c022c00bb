"""GET /executions/{id} — one execution with every node's input, output and error."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.executions import get_execution

_handle = route(get_execution)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
