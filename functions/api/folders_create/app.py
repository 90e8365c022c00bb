"""POST /folders — create a folder of workflows."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.organisation import create_folder

_handle = route(create_folder)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
