"""PUT /workflows/{id} — replace a workflow as its next version."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import replace_workflow

_handle = route(replace_workflow)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
