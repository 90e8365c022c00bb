"""GET /credentials — the workspace's credentials, metadata only."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.credentials import list_credentials

_handle = route(list_credentials)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
