"""POST /templates — publish a workflow's published version as a template."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.templates import publish_template

_handle = route(publish_template)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
