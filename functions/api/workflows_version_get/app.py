"""GET /workflows/{id}/versions/{version} — one saved version's definition."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import get_version

_handle = route(get_version)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
