"""POST /workspaces — create a workspace; the caller becomes its OWNER."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workspaces import create_workspace

_handle = route(create_workspace)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
