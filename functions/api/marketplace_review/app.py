"""PUT /marketplace/packages/{name}/reviews/mine - rate and review a package."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.marketplace import put_review

_handle = route(put_review)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
