"""POST /workflows/{id}/shares — share a workflow with a user or its workspace."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.shares import create_share

_handle = route(create_share)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
