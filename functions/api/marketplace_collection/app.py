"""PUT /admin/marketplace/collections/{slug} - curate a collection."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.marketplace import put_collection

_handle = route(put_collection)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
