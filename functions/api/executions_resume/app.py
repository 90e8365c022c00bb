"""POST /executions/{id}/resume — resume a waiting node with its token."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.executions import resume_execution

_handle = route(resume_execution)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
