"""GET /marketplace/collections - curated collections."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.marketplace import list_collections

_handle = route(list_collections)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
