"""ANY /webhooks/{token}[/{rest+}] — start the workflow behind a webhook token (public route)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.triggers import receive_webhook

_handle = route(receive_webhook)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
