"""POST /credentials/{id}/shares — share a credential for use with a member or the workspace."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.credentials import share_credential

_handle = route(share_credential)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
