"""POST /executions/{id}/retry — re-run as a new execution, from the failed node by default."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.executions import retry_execution

_handle = route(retry_execution)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
