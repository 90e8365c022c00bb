"""POST /auth/login (public) — sign in; 401 for bad credentials, 429 while locked."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.auth import login

_handle = route(login)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
