"""DELETE /templates/{id} — delete a published template."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.templates import delete_template

_handle = route(delete_template)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
