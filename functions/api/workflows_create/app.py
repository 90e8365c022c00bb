"""POST /workflows — create a workflow."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import create_workflow

_handle = route(create_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
