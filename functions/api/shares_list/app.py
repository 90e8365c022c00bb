"""GET /workflows/{id}/shares — list a workflow's shares."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.shares import list_shares

_handle = route(list_shares)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
