"""POST /notifications/read-all — mark all the caller's notifications read."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.notifications import mark_all_read

_handle = route(mark_all_read)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
