"""GET /folders — list the workspace's folders."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.organisation import list_folders

_handle = route(list_folders)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
