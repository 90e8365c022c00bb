"""POST /auth/refresh (public) — rotate a refresh token."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.auth import refresh

_handle = route(refresh)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
