"""PATCH /folders/{id} — rename or move a folder."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.organisation import update_folder

_handle = route(update_folder)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
