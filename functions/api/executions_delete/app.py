"""DELETE /executions/{id} — delete a finished execution with its nodes and logs."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.executions import delete_execution

_handle = route(delete_execution)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
