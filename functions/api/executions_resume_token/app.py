"""POST /executions/{id}/resume-token — issue the token of a waiting node (shown once)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.executions import issue_resume_token

_handle = route(issue_resume_token)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
