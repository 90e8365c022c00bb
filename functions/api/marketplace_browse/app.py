"""GET /marketplace/packages - browse and search packages."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.marketplace import browse_packages

_handle = route(browse_packages)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
