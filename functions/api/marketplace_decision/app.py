"""POST /admin/marketplace/packages/{name}/versions/{version}/decision - approve or reject a version."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.marketplace import decide_version

_handle = route(decide_version)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
