"""PATCH /workspaces/{id}/policies — set what the workspace asks of its members."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import set_workspace_policies

_handle = route(set_workspace_policies)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
