"""GET /credentials/{id} — metadata and the names of the data's fields."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.credentials import get_credential

_handle = route(get_credential)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
