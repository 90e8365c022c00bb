"""GET /workspaces/{id}/api-keys — every member's live API keys in the workspace (ADMIN+)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workspaces import list_workspace_api_keys

_handle = route(list_workspace_api_keys)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
