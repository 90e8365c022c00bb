"""DELETE /notification-rules/{id}: delete a rule."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.notification_channels import delete_rule

_handle = route(delete_rule)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
