"""GET /notification-channels/{id}/deliveries: a channel's delivery log."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.notification_channels import list_deliveries

_handle = route(list_deliveries)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
