"""GET /workspaces/{id} — a workspace with its members."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workspaces import get_workspace

_handle = route(get_workspace)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
