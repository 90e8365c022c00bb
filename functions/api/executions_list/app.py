"""GET /executions — list executions of the caller's workspace, filtered, newest first."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.executions import list_executions

_handle = route(list_executions)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
