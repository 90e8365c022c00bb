"""POST /workflows/validate — check a definition without saving it."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import validate_workflow

_handle = route(validate_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
