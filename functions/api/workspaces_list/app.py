"""GET /workspaces — the caller's workspaces."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workspaces import list_workspaces

_handle = route(list_workspaces)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
