"""POST /workflows/{id}/comments — comment on a workflow (a thread or a reply)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.comments import create_comment

_handle = route(create_comment)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
