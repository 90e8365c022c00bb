"""POST /workflows/import — create a workflow from an export."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import import_workflow

_handle = route(import_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
