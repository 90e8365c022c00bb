"""PATCH /workflows/{id}/shares/{shareId} — change a share's level or expiry."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.shares import update_share

_handle = route(update_share)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
