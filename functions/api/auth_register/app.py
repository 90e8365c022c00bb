"""POST /auth/register (public) — create an account and its personal workspace; 202 either way."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.auth import register

_handle = route(register)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
