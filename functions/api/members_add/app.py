"""POST /workspaces/{id}/members — add a member (ADMIN+)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workspaces import add_member

_handle = route(add_member)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
