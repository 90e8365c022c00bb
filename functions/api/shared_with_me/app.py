"""GET /shared-with-me — the workflows shared with the caller."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.shares import shared_with_me

_handle = route(shared_with_me)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
