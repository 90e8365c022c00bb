"""POST /workflows/{id}/publish — publish a version: what triggers run."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import publish_workflow

_handle = route(publish_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
