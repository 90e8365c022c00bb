"""GET /me — the caller and its workspaces."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.identity import get_me

_handle = route(get_me)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
