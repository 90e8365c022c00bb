"""POST /workflows/{id}/activate — register the workflow's webhooks and schedules."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.triggers import activate_workflow

_handle = route(activate_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
