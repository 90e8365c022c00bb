"""GET /notifications/unread-count — how many of the caller's notifications are unread."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.notifications import unread_count

_handle = route(unread_count)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
