"""GET /credentials/{id}/shares — a credential's shares."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.credentials import list_credential_shares

_handle = route(list_credential_shares)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
