"""GET /templates — the built-in workflow templates."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.templates import list_templates

_handle = route(list_templates)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
