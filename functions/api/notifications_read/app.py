"""POST /notifications/{id}/read — mark one notification read."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.notifications import mark_read

_handle = route(mark_read)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
