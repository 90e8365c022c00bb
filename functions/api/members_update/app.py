"""PATCH /workspaces/{id}/members/{userId} — change a member's role."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workspaces import update_member

_handle = route(update_member)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
