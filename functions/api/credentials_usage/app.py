"""GET /credentials/{id}/usage — each use of a credential by a step or poll."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.credentials import credential_usage

_handle = route(credential_usage)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
