"""GET /workflows/{id}/versions — the saved versions, newest first."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import list_versions

_handle = route(list_versions)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
