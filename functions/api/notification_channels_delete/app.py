"""DELETE /notification-channels/{id}: delete a channel."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.notification_channels import delete_channel

_handle = route(delete_channel)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
