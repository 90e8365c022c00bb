"""DELETE /workflows/{id}/shares/{shareId} — revoke a share, effective on the next request."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.shares import revoke_share

_handle = route(revoke_share)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
