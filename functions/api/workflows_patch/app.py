"""PATCH /workflows/{id} — change a workflow's details (no new version)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.organisation import update_workflow_details

_handle = route(update_workflow_details)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
