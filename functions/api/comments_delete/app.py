"""DELETE /workflows/{id}/comments/{commentId} — delete a comment (author or workspace ADMIN)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.comments import delete_comment

_handle = route(delete_comment)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
