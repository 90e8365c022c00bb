"""GET /notifications — the caller's notifications, newest first."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.notifications import list_notifications

_handle = route(list_notifications)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
