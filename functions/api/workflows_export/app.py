"""GET /workflows/{id}/export — portable JSON (credentials by name, no secrets)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import export_workflow

_handle = route(export_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
