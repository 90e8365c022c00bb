"""POST /workflows/{id}/versions/{version}/restore — save an old version as the newest."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.workflows import restore_version

_handle = route(restore_version)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
