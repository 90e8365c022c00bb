"""GET /notification-rules: my rules and the workspace's."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.notification_channels import list_rules

_handle = route(list_rules)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
