"""GET /workflows/{id}/comments — list a workflow's threads or one thread's replies."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.comments import list_comments

_handle = route(list_comments)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
