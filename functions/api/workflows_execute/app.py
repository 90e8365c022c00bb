"""POST /workflows/{id}/execute — start a manual run of a workflow."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.executions_start import execute_workflow

_handle = route(execute_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
