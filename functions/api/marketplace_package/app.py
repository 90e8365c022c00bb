"""GET /marketplace/packages/{name} - one package with its versions."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.marketplace import get_package

_handle = route(get_package)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
