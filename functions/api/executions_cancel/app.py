"""POST /executions/{id}/cancel — stop an execution: running nodes finish, nothing new starts."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.executions import cancel_execution

_handle = route(cancel_execution)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
