"""DELETE /workspaces/{id}/members/{userId} — remove a member."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workspaces import remove_member

_handle = route(remove_member)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
