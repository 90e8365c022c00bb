"""GET /api-keys — the caller's API keys, never the key itself."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.identity import list_api_keys

_handle = route(list_api_keys)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
