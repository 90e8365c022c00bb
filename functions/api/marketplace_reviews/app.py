"""GET /marketplace/packages/{name}/reviews - a package's reviews."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.marketplace import list_reviews

_handle = route(list_reviews)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
