"""GET /admin/marketplace/versions - versions waiting for review."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.marketplace import review_queue

_handle = route(review_queue)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
