"""DELETE /credentials/{id} — delete a credential."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.credentials import delete_credential

_handle = route(delete_credential)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
