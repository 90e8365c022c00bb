"""POST /notification-rules: route an event to inboxes and channels."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.notification_channels import create_rule

_handle = route(create_rule)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
