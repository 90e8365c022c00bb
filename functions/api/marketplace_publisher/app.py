"""PUT /admin/marketplace/publishers/{name} - verify a publisher."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.marketplace import verify_publisher

_handle = route(verify_publisher)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
