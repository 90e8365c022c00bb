"""POST /workflows/{id}/unarchive — bring back a deleted workflow, inactive."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.organisation import unarchive_workflow

_handle = route(unarchive_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
