"""POST /workflows/{id}/deactivate — delete the workflow's schedules; its webhooks answer 404."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.triggers import deactivate_workflow

_handle = route(deactivate_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
