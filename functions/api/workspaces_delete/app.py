"""DELETE /workspaces/{id} — delete a workspace (OWNER only)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workspaces import delete_workspace

_handle = route(delete_workspace)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
