"""POST /credentials/{id}/oauth2/authorize - start connecting an OAuth2 credential."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.oauth2_connect import authorize_credential

_handle = route(authorize_credential)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
