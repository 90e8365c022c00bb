"""POST /notification-channels: add a notification channel."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.notification_channels import create_channel

_handle = route(create_channel)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
