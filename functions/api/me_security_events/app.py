"""GET /me/security-events — the caller's security events."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.accounts import list_security_events

_handle = route(list_security_events)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
