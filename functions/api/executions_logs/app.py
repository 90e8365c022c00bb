"""GET /executions/{id}/logs — an execution's log lines, oldest first, by minimum level."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.executions import list_execution_logs

_handle = route(list_execution_logs)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
