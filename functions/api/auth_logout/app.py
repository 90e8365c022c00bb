"""POST /auth/logout (public) — revoke a refresh token."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.auth import logout

_handle = route(logout)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
