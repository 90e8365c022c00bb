"""DELETE /workflows/{id} — delete a workflow."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import delete_workflow

_handle = route(delete_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
