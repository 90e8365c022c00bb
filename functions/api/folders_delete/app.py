"""DELETE /folders/{id} — delete an empty folder."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.organisation import delete_folder

_handle = route(delete_folder)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
