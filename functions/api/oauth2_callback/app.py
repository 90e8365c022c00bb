"""GET /oauth2/callback - finish connecting an OAuth2 credential."""

from typing import Any

from a2n.api.http import route
from a2n.api.routes.oauth2_connect import oauth2_callback

_handle = route(oauth2_callback)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _handle(event, context)
