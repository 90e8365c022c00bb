"""GET /templates/{id} — one gallery template."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.templates import get_template

_handle = route(get_template)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
