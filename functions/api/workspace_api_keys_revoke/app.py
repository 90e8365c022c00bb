"""DELETE /workspaces/{id}/api-keys/{keyId} — an ADMIN revokes any member's API key."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workspaces import revoke_workspace_api_key

_handle = route(revoke_workspace_api_key)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
