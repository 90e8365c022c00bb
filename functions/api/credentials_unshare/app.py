"""DELETE /credentials/{id}/shares/{shareId}: revoke a credential share (409 while workflows use it)."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.credentials import unshare_credential

_handle = route(unshare_credential)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
