"""POST /api-keys — create an API key (shown once)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.identity import create_api_key

_handle = route(create_api_key)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
