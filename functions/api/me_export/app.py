"""GET /me/export — everything that is the caller's own."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.profile import export_account

_handle = route(export_account)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
