"""GET /integrations - packages installed in this workspace."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.integrations import list_installed

_handle = route(list_installed)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
