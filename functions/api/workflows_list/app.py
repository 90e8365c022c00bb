"""GET /workflows — list the workspace's workflows (without definitions)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import list_workflows

_handle = route(list_workflows)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
