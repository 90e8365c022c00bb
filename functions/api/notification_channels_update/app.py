"""PATCH /notification-channels/{id}: rename, disable or enable a channel."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.notification_channels import update_channel

_handle = route(update_channel)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
