"""GET /me/sessions — the caller's sessions."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import list_sessions

_handle = route(list_sessions)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
