"""GET /workflows/{id} — one workflow with its definition."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import get_workflow

_handle = route(get_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
