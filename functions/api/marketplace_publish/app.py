"""POST /marketplace/packages - publish a package version."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.marketplace import publish_package

_handle = route(publish_package)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
