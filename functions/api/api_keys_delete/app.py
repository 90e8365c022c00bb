"""DELETE /api-keys/{id} — revoke an API key."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.identity import delete_api_key

_handle = route(delete_api_key)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
