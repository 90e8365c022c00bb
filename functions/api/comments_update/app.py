"""PATCH /workflows/{id}/comments/{commentId} — edit a comment or resolve/unresolve a thread."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.comments import update_comment

_handle = route(update_comment)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
